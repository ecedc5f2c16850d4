"""One fan, two platforms: a code from one account sent from the other merges the two fans
exactly once, keeping everything either had."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
from tortoise import Tortoise
from tortoise.models import Model

from core.account_linking import MERGED
from core.drops.order_rows import PaymentReceived
from core.errors import DropcastError, InvalidInput, InvalidState
from core.events import TierChanged
from core.fans import fan_for, profile
from core.kinds import DeliveryStatus, FanTier, NoticeStatus, PerkGrantStatus, Platform
from core.models import (
    Attendance,
    Delivery,
    Fan,
    LedgerEntry,
    Notice,
    PerkGrant,
    PlatformAccount,
    Reservation,
    RollupPart,
    RollupStale,
    Rsvp,
    StaleFan,
    WaitlistEntry,
)
from core.notices import perks_key
from tests.builders import open_drop, tier
from tests.unit.report_figures import counted_afresh, figures


async def two_accounts(world) -> tuple[int, int]:
    on_telegram = await fan_for(Platform.TELEGRAM, "2002", "Ada")
    on_discord = await fan_for(Platform.DISCORD, "5001", "ada#1")
    return on_telegram, on_discord


async def test_linking_merges_accounts_orders_points_and_consent_once(world):
    kept, merged = await two_accounts(world)
    await Fan.filter(id=merged).update(dm_opt_in=True)
    drop = await open_drop(world.core, tier(stock=5))
    hold = await world.core.holds.reserve(drop.tiers[0].id, merged)
    await world.core.payments.settle(PaymentReceived("pi_1", "stripe", hold.id, hold.price))
    code = await world.core.account_linking.issue(kept)
    assert await world.core.account_linking.redeem(code.lower(), merged) == kept
    accounts = await PlatformAccount.filter(fan_id=kept).values_list("platform", flat=True)
    assert sorted(accounts) == ["discord", "telegram"]
    me = await profile(kept)
    assert (me.tier, me.points, len(me.orders)) == (FanTier.SUPPORTER, 70, 1)
    assert (await Fan.get(id=kept)).dm_opt_in is True
    assert not await Fan.exists(id=merged)
    with pytest.raises(InvalidState, match="used already"):
        await world.core.account_linking.redeem(code, merged)


async def test_wrong_expired_own_and_taken_codes_are_refused_and_change_nothing(world):
    kept, merged = await two_accounts(world)
    with pytest.raises(InvalidInput, match="not a link code I gave out"):
        await world.core.account_linking.redeem("NOPE1234", merged)
    code = await world.core.account_linking.issue(kept)
    with pytest.raises(InvalidState, match="send it from there"):
        await world.core.account_linking.redeem(code, kept)
    world.clock.advance(minutes=11)
    with pytest.raises(InvalidState, match="expired"):
        await world.core.account_linking.redeem(code, merged)
    await world.core.account_linking.redeem(await world.core.account_linking.issue(kept), merged)
    # a second Discord account cannot join the same person
    other = await fan_for(Platform.DISCORD, "5002", "not ada")
    with pytest.raises(InvalidState, match="already has a discord account linked"):
        await world.core.account_linking.redeem(await world.core.account_linking.issue(kept), other)
    assert await Fan.exists(id=other)
    # asking again voids the code asked for before
    first = await world.core.account_linking.issue(kept)
    await world.core.account_linking.issue(kept)
    with pytest.raises(InvalidState, match="used already"):
        await world.core.account_linking.redeem(first, other)


async def test_two_accounts_racing_with_one_code_link_one(world):
    kept = await fan_for(Platform.TELEGRAM, "2002", "Ada")
    racers = [await fan_for(Platform.DISCORD, f"50{n}", "racer") for n in range(5)]
    code = await world.core.account_linking.issue(kept)
    results = await asyncio.gather(
        *(world.core.account_linking.redeem(code, racer) for racer in racers),
        return_exceptions=True,
    )
    assert sum(result == kept for result in results) == 1
    assert all(isinstance(r, DropcastError) for r in results if r != kept)
    assert await PlatformAccount.filter(fan_id=kept).count() == 2


class Rows:
    """Any model's row with only the fields it must have, so that a table added later gets
    a row here without anyone writing its factory; parents are made once and shared."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.parents: dict[type[Model], Model] = {}
        self.made = 0

    async def make(self, model: type[Model], **given: Any) -> Model:
        meta = model._meta
        sources = {meta.fields_map[name].source_field for name in meta.fk_fields | meta.o2o_fields}
        values = dict(given)
        for name in sorted(meta.fk_fields | meta.o2o_fields):
            field = meta.fields_map[name]
            if not ({name, field.source_field} & values.keys()) and not field.null:
                values[name] = await self.parent(field.related_model)
        for name in sorted(meta.db_fields - sources - values.keys()):
            field = meta.fields_map[name]
            if not (field.pk or field.null or field.default is not None or _automatic(field)):
                values[name] = self.value(field)
        return await model.create(**values)

    async def parent(self, model: type[Model]) -> Model:
        if model not in self.parents:
            self.parents[model] = await self.make(model)
        return self.parents[model]

    def value(self, field: Any) -> Any:
        self.made += 1
        if enum := getattr(field, "enum_type", None):
            return next(iter(enum))
        plain = {bool: False, int: 1, datetime: self.now, dict: {}}
        if field.field_type in plain:
            return plain[field.field_type]
        return f"v{self.made}"[: getattr(field, "max_length", None)]


def _automatic(field: Any) -> bool:
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def fan_references() -> list[tuple[type[Model], str]]:
    """Every column that names a fan: each foreign key to Fan, and each plain `fan_id`."""
    found = []
    for model in Tortoise.apps["models"].values():
        meta = model._meta
        keys = [meta.fields_map[name] for name in meta.fk_fields | meta.o2o_fields]
        sources = {key.source_field for key in keys}
        found += [(model, key.source_field) for key in keys if key.related_model is Fan]
        if "fan_id" in meta.db_fields and "fan_id" not in sources:
            found.append((model, "fan_id"))
    return sorted(found, key=lambda found: found[0].__name__)


# the rollups' own rows: the report recounts them for the fans a change touched
RECOUNTED = {RollupPart, RollupStale, StaleFan}


async def test_a_merge_leaves_no_row_of_any_table_naming_the_merged_fan(world):
    kept, merged = await two_accounts(world)
    references = fan_references()
    assert len(references) >= 14  # the walk finds the fan's tables at all
    rows = Rows(world.clock.now())
    made = [
        (await rows.make(model, **{column: merged}), column)
        for model, column in references
        if model not in RECOUNTED
    ]
    await figures()  # builds the rollups, with the merged fan's parts
    assert await RollupPart.exists(fan_id=merged)
    await world.core.account_linking.redeem(await world.core.account_linking.issue(kept), merged)
    assert await figures() == await counted_afresh()
    # each row moved, none lost (a cascade would take a forgotten one with the fan)
    lost = [
        type(row).__name__
        for row, column in made
        if not await type(row).exists(pk=row.pk, **{column: kept})
    ]
    assert lost == []
    left = [
        model.__name__ for model, column in references if await model.exists(**{column: merged})
    ]
    assert left == []
    assert not await Fan.exists(id=merged)


async def test_rows_both_fans_had_for_one_key_are_settled_by_their_rules(world):
    kept, merged = await two_accounts(world)
    drop = await open_drop(world.core, tier(stock=5, limit=1))
    for fan in (kept, merged):
        await world.core.holds.reserve(drop.tiers[0].id, fan)
    now, earlier = world.clock.now(), world.clock.now() - timedelta(hours=1)
    rows = Rows(now)  # parents shared: both fans' rows have the same session, tier, perk …
    await rows.make(Attendance, fan_id=kept, minutes=5, first_seen_at=now)
    await rows.make(Attendance, fan_id=merged, minutes=7, first_seen_at=earlier)
    await rows.make(Rsvp, fan_id=kept)
    await rows.make(Rsvp, fan_id=merged, reminded_day_at=earlier)
    await rows.make(Delivery, fan_id=kept)
    sent = await rows.make(Delivery, fan_id=merged, status=DeliveryStatus.SENT)
    await rows.make(PerkGrant, fan_id=kept, status=PerkGrantStatus.REVOKED)
    granted = await rows.make(PerkGrant, fan_id=merged, status=PerkGrantStatus.GRANTED)
    await rows.make(WaitlistEntry, fan_id=kept)
    first_in_line = await rows.make(WaitlistEntry, fan_id=merged, created_at=earlier)
    points = await rows.make(LedgerEntry, fan_id=kept, reason="live_code", source_id="s1")
    await rows.make(LedgerEntry, fan_id=merged, reason="live_code", source_id="s1")

    await world.core.account_linking.redeem(await world.core.account_linking.issue(kept), merged)

    [(minutes, first_seen)] = await Attendance.filter(fan_id=kept).values_list(
        "minutes", "first_seen_at"
    )
    assert (minutes, first_seen) == (12, earlier)
    assert await Rsvp.filter(fan_id=kept).values_list("reminded_day_at", flat=True) == [earlier]
    assert await Delivery.filter(fan_id=kept).values_list("id", flat=True) == [sent.pk]
    assert await PerkGrant.filter(fan_id=kept).values_list("id", flat=True) == [granted.pk]
    assert await WaitlistEntry.filter(fan_id=kept).values_list("id", flat=True) == [
        first_in_line.pk
    ]
    assert await LedgerEntry.filter(fan_id=kept).values_list("id", flat=True) == [points.pk]
    # both holds stand, one on the fan's only slot; the limit of one makes no third: a tap
    # again offers one of the fan's own holds to pay
    slots = await Reservation.filter(fan_id=kept).order_by("id").values_list("slot", flat=True)
    assert slots == [1, None]
    again = await world.core.holds.reserve(drop.tiers[0].id, kept)
    assert await Reservation.filter(fan_id=kept).count() == 2
    assert await Reservation.exists(id=again.id, fan_id=kept)


async def test_a_no_on_either_side_wins_and_the_merge_says_so(world):
    kept, merged = await two_accounts(world)
    await world.core.consent.give(merged, Platform.DISCORD, "/subscribe")
    await world.core.consent.withdraw(merged, Platform.DISCORD, "/stop")
    await PlatformAccount.filter(fan_id=merged).update(dm_reachable=False)
    world.clock.advance(minutes=1)
    await world.core.consent.give(kept, Platform.TELEGRAM, "/subscribe")  # the later answer

    await world.core.account_linking.redeem(await world.core.account_linking.issue(kept), merged)

    assert (await Fan.get(id=kept)).dm_opt_in is False
    history = await world.core.consent.history(kept)
    assert [(c.given, c.platform, c.how) for c in history] == [
        (True, "discord", "/subscribe"),
        (False, "discord", "/stop"),
        (True, "telegram", "/subscribe"),
        (False, "discord", MERGED),
    ]
    reachable = await PlatformAccount.filter(fan_id=kept).order_by("platform")
    assert [(a.platform, a.dm_reachable) for a in reachable] == [
        (Platform.DISCORD, False),
        (Platform.TELEGRAM, True),
    ]


async def test_what_was_owed_to_the_merged_account_goes_to_the_kept_fan(world):
    kept, merged = await two_accounts(world)
    drop = await open_drop(world.core, tier(kind="digital"))
    hold = await world.core.holds.reserve(drop.tiers[0].id, merged)
    world.messenger.failing = True  # the platform is down: the receipt waits for a retry
    await world.core.payments.settle(PaymentReceived("pi_1", "stripe", hold.id, hold.price))
    # a process wrote a perk change for the merged fan and died before delivering it
    rose = TierChanged(world.clock.now(), merged, FanTier.INSIDER.value, rose=True)
    await world.core.notices.record([rose])
    owed = await Notice.filter(status=NoticeStatus.QUEUED).values_list("id", flat=True)
    await world.core.account_linking.redeem(await world.core.account_linking.issue(kept), merged)
    waiting = await Notice.filter(id__in=owed).order_by("id")
    assert [(n.subscriber, n.key) for n in waiting] == [
        ("dm.receipt", None),
        ("perks.tier", perks_key(kept)),
    ]
    world.messenger.failing = False
    world.clock.advance(minutes=1)
    await world.core.notices.drain()
    assert [type(m).__name__ for m in world.messenger.to(kept)] == ["OrderConfirmed"]
    assert world.messenger.to(merged) == []
