"""The rollups against counting afresh: whatever changes after their totals were built, the
report reads what a count from scratch would read, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from bots.demo.loader import load
from bots.demo.simulation import Params, simulate
from core import sql
from core.analytics.attribution import Weights, blended_attribution
from core.analytics.buyers import repeat_rate
from core.campaigns.segments import Segment
from core.drops.order_rows import PaymentReceived
from core.kinds import FanTier, LiveStatus, Platform
from core.messages import CampaignDM
from core.models import Fan, LedgerEntry, LiveSession, Order
from core.privacy import forget
from tests.builders import fans, open_drop, tier
from tests.unit.report_figures import NOW, counted_afresh, figures


@pytest.fixture
async def demo(world):
    plan = simulate(Params(seed=11, fans=400, weeks=8), NOW)
    await load(plan)
    world.clock.set(NOW - timedelta(days=2))
    return plan


async def rollup_totals() -> list[dict[str, Any]]:
    return await sql.rows(
        'SELECT rollup, key, n1, n2, n3, n4, n5 FROM "rollup_total" ORDER BY rollup, key'
    )


async def buy(world, tier_id: int, fan: int, tag: str) -> int:
    hold = await world.core.holds.reserve(tier_id, fan)
    paid = PaymentReceived(f"pi_{tag}_{fan}", "sandbox", hold.id, hold.price)
    return (await world.core.payments.settle(paid)).id


async def test_every_kind_of_change_reads_as_a_count_from_scratch(world, demo):
    """Each fan below changes in one way only, each between two reads, so that a write the
    rollups did not hear of would stay miscounted to the end."""
    before = await figures()  # builds every rollup
    paid = await Order.filter(status="paid").order_by("id").values_list("fan_id", flat=True)
    buyers = list(dict.fromkeys(paid))[:5]
    rsvper, listener, payer, tapper, reached, holder = await fans(6)
    drop = await open_drop(world.core, tier(stock=20, limit=3))
    await Fan.filter(id__in=[payer, tapper, reached]).update(dm_opt_in=True)
    # a campaign has a delivery for every fan, sent or skipped: first, so that it marks no one
    await world.core.campaigns.create("Last call", Segment(), ["{link}"], drop_id=drop.id)
    while await world.core.outbox.drain(Platform.SANDBOX):
        pass
    await figures()

    session = await world.core.live.schedule("Late show", world.clock.now() + timedelta(minutes=1))
    for fan in (rsvper, buyers[2]):
        await world.core.live_reminders.rsvp(session.id, fan)
    world.clock.advance(minutes=1)
    await world.core.live.start(session.id)
    for fan in (listener, payer):
        await world.core.attendance.check_in(fan)
    await world.core.attendance.claim(await world.core.attendance.new_code(), payer)
    await world.core.holds.reserve(drop.tiers[0].id, holder)
    await figures()

    for fan in (tapper, payer):
        dm = next(m for m in world.messenger.to(fan) if isinstance(m, CampaignDM))
        await world.core.short_links.follow(dm.url.rsplit("/", 1)[1])
    await figures()

    world.clock.advance(minutes=20)
    await buy(world, drop.tiers[0].id, payer, "late")
    await world.core.orders.refund(await buy(world, drop.tiers[0].id, buyers[0], "back"), "no")
    crossed = await Fan.get(id=buyers[1])
    await Fan.filter(id=crossed.id).update(
        tier=FanTier.INSIDER if crossed.tier == FanTier.FAN else FanTier.FAN
    )
    await forget(buyers[2], world.core.perks)
    # a change written straight to the database, as a bulk import would
    first = await Order.filter(fan_id=buyers[3], status="paid").order_by("id").first()
    assert first is not None
    await Order.filter(id=first.id).update(status="refunded")
    last = await Order.filter(fan_id=buyers[4], status="paid").order_by("-id").first()
    assert last is not None  # a live code claimed before it, imported late
    await LedgerEntry.create(
        fan_id=buyers[4], amount=5, reason="live_code", source_id="imported",
        created_at=last.created_at - timedelta(hours=1),
    )  # fmt: skip

    # a session imported with its start in the past: the orders of the day after it count
    anchor = await Order.filter(status="paid").exclude(fan_id__in=buyers).order_by("id").first()
    assert anchor is not None
    await LiveSession.create(
        title="Imported", starts_at=anchor.created_at - timedelta(hours=2),
        started_at=anchor.created_at - timedelta(hours=2), status=LiveStatus.ENDED,
    )  # fmt: skip

    await repeat_rate()  # one metric read first: it must not leave the others behind
    after, kept = await figures(), await rollup_totals()
    assert after != before
    assert after["repeat"]["buyers"] == before["repeat"]["buyers"] + 1  # the payer
    assert after == await counted_afresh()
    assert kept == await rollup_totals()  # this month's too, which no figure shows yet


async def test_reports_asking_together_count_each_change_once(world, demo):
    await asyncio.gather(*(figures() for _ in range(4)))  # all four find nothing built
    drop = await open_drop(world.core, tier(stock=50))
    for n, fan in enumerate(await fans(30)):
        await buy(world, drop.tiers[0].id, fan, f"together{n}")
    together = await asyncio.gather(*(figures() for _ in range(4)))
    kept = await rollup_totals()
    afresh = await counted_afresh()
    assert all(found == afresh for found in together)
    assert kept == await rollup_totals()


async def test_attribution_from_new_settings_replaces_the_rollup_of_the_old(demo):
    week = await blended_attribution(Weights())
    assert await blended_attribution(Weights(days=3)) != week
    kept = await sql.rows("SELECT DISTINCT rollup FROM \"rollup_part\" WHERE rollup LIKE 'a%'")
    assert [row["rollup"] for row in kept] == ["attribution 3d 60min"]
    assert await blended_attribution(Weights()) == week  # back again: built afresh
