"""One fan, two platforms: a code asked for on one platform and sent from the other merges
the two fans into one, exactly once. Everything either fan had (accounts, orders, holds,
points, perks, consent) ends up with the fan who asked for the code."""

from __future__ import annotations

import secrets
from datetime import timedelta

from tortoise.transactions import in_transaction

from core import sql
from core.errors import InvalidInput, InvalidState
from core.fans import FanRef, fan_id_of
from core.models import ConsentRecord, Fan, LinkCode, Membership, PlatformAccount
from core.notices import carry_over
from core.perks import PerkService
from core.ports import Clock
from core.recognition import Recognition

CODE_VALID = timedelta(minutes=10)
MERGED = "linked accounts, a no wins"  # how a merge's consent record says it came about
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread

_CLAIM = (
    'UPDATE "link_code" SET "used_at" = {now} WHERE "code" = {code} AND "used_at" IS NULL '
    'AND "expires_at" > {now} RETURNING "fan_id"'
)


def _keep_one(table: str, key: str, merged_wins: str = "") -> tuple[str, ...]:
    """Where both fans have a row for the same unique key, drop one before the move: the
    kept fan's where `merged_wins` (SQL comparing the merged fan's row `o` with the kept
    fan's, named by its table) holds, else the merged fan's. `key` lists the key's columns
    but the fan."""
    same = " AND ".join(f'o."{column}" = "{table}"."{column}"' for column in key.split())

    def other(fan: str) -> str:
        return f'SELECT 1 FROM "{table}" o WHERE o."fan_id" = {{{fan}}} AND {same}'

    drop_merged = f'DELETE FROM "{table}" WHERE "fan_id" = {{merged}} AND EXISTS ({other("kept")})'
    if not merged_wins:
        return (drop_merged,)
    drop_kept = (
        f'DELETE FROM "{table}" WHERE "fan_id" = {{kept}} '
        f"AND EXISTS ({other('merged')} AND {merged_wins})"
    )
    return (drop_kept, drop_merged)


def _merged(table: str, key: str, column: str) -> str:
    """The merged fan's value of `column` in its row with the kept row's `key`."""
    return (
        f'(SELECT o."{column}" FROM "{table}" o WHERE o."fan_id" = {{merged}} '
        f'AND o."{key}" = "{table}"."{key}")'
    )


def _fold_into_kept(table: str, key: str, assignments: str) -> str:
    """Update the kept fan's rows that the merged fan has an equal of (same `key`)."""
    return (
        f'UPDATE "{table}" SET {assignments} WHERE "fan_id" = {{kept}} AND "{key}" IN '
        f'(SELECT "{key}" FROM "{table}" WHERE "fan_id" = {{merged}})'
    )


_STAMPS = ("reminded_day_at", "reminded_soon_at", "reminded_start_at")

# What moves from the fan who sent the code ({merged}) to the one who asked for it ({kept}).
# Every table with a fan_id but the rollups' own, which recount both fans (the last line).
_MOVED = (
    "platform_account", "link_code", "consent_record", "order", "reservation",
    "waitlist_entry", "ledger_entry", "perk_grant", "perk_change", "attendance", "rsvp",
    "delivery", "membership", "subscription_claim", "offer_tap",
)  # fmt: skip
_MERGE: tuple[str, ...] = (
    # holds: both stand (a paid one is money taken, a held one lapses by itself). The
    # merged fan's hold on a slot the kept fan uses gives the slot up; `free_slot`
    # (core/drops/stock.py) counts it all the same, so no new hold passes the limit.
    'UPDATE "reservation" SET "slot" = NULL WHERE "fan_id" = {merged} AND "slot" IS NOT NULL '
    'AND EXISTS (SELECT 1 FROM "reservation" r WHERE r."fan_id" = {kept} '
    'AND r."tier_id" = "reservation"."tier_id" AND r."slot" = "reservation"."slot")',
    # waitlist: the earlier place in the queue
    *_keep_one("waitlist_entry", "tier_id", 'o."created_at" < "waitlist_entry"."created_at"'),
    # points: once per reason and source, as for one fan; the kept fan's entry
    *_keep_one("ledger_entry", "reason source_id"),
    # perks: a grant the platform was last told of wins over a revoked one, so that
    # `PerkService.reconcile` takes it back if it must; else the kept fan's
    *_keep_one(
        "perk_grant",
        "perk_id",
        'o."status" = \'granted\' AND "perk_grant"."status" <> \'granted\'',
    ),
    # attendance: minutes added (only the Discord account listens, so none is counted
    # twice), the earlier first sight, and listening if either is
    _fold_into_kept(
        "attendance",
        "session_id",
        f'"minutes" = "minutes" + {_merged("attendance", "session_id", "minutes")}, '
        '"first_seen_at" = (SELECT MIN(o."first_seen_at") FROM "attendance" o '
        'WHERE o."fan_id" IN ({merged}, "attendance"."fan_id") '
        'AND o."session_id" = "attendance"."session_id"), '
        '"listening_since" = COALESCE("listening_since", '
        f"{_merged('attendance', 'session_id', 'listening_since')})",
    ),
    *_keep_one("attendance", "session_id"),
    # RSVPs: one, carrying every reminder either had, so none goes out twice
    _fold_into_kept(
        "rsvp",
        "session_id",
        ", ".join(f'"{s}" = COALESCE("{s}", {_merged("rsvp", "session_id", s)})' for s in _STAMPS),
    ),
    *_keep_one("rsvp", "session_id"),
    # campaign DMs: the one that went out (or may have), else the kept fan's
    *_keep_one(
        "delivery",
        "campaign_id subject",
        "o.\"status\" IN ('sent', 'sending') "
        "AND \"delivery\".\"status\" NOT IN ('sent', 'sending')",
    ),
    *(f'UPDATE "{table}" SET "fan_id" = {{kept}} WHERE "fan_id" = {{merged}}' for table in _MOVED),
    # perk tokens: held, and given away, by the one fan now
    'UPDATE "perk_token" SET "holder_id" = {kept} WHERE "holder_id" = {merged}',
    'UPDATE "perk_token" SET "gifted_by_id" = {kept} WHERE "gifted_by_id" = {merged}',
    'DELETE FROM "fan" WHERE "id" = {merged}',
    # the rollups recount both (core/analytics/rollups.py): the merged fan's parts go, the
    # kept fan's take in what moved. The triggers of migration 0025 see most moves, not a
    # fan row deleted
    'INSERT INTO "stale_fan" ("fan_id") VALUES ({kept}), ({merged}) ON CONFLICT DO NOTHING',
)


async def _refusal_between(kept: Fan, merged: Fan) -> ConsentRecord | None:
    """The more restrictive answer wins (invariant 4 in core/consent.py): when one fan's
    latest answer is no and the other's is yes, that no, to record again for the merged
    fan, whose history would otherwise end on either. A fan who never answered says
    neither, so the other's answer stands as it is."""
    latest = [
        await ConsentRecord.filter(fan_id=fan.id).order_by("-at", "-id").first()
        for fan in (kept, merged)
    ]
    answers = {
        record.given if record else fan.dm_opt_in or None
        for record, fan in zip(latest, (kept, merged), strict=True)
    }
    if answers != {True, False}:
        return None
    return next(record for record in latest if record is not None and not record.given)


class AccountLinking:
    def __init__(self, clock: Clock, recognition: Recognition, perks: PerkService) -> None:
        self.clock = clock
        self.recognition = recognition
        self.perks = perks

    async def issue_as(self, fan: FanRef) -> str:
        """`/link`: a code for the platform user to send from their other platform (`issue`)."""
        return await self.issue(await fan_id_of(fan))

    async def redeem_as(self, code: str, fan: FanRef) -> int:
        """`/link CODE`: the platform user joins the fan who asked for the code (`redeem`)."""
        return await self.redeem(code, await fan_id_of(fan))

    async def issue(self, fan_id: int) -> str:
        """A fresh code for this fan; codes they asked for before stop working."""
        now = self.clock.now()
        await LinkCode.filter(fan_id=fan_id, used_at__isnull=True).update(used_at=now)
        code = "".join(secrets.choice(ALPHABET) for _ in range(8))
        await LinkCode.create(code=code, fan_id=fan_id, expires_at=now + CODE_VALID)
        return code

    async def redeem(self, code: str, fan_id: int) -> int:
        """Merge the fan who sends `code` into the fan who asked for it; returns that fan."""
        code = code.strip().upper()
        found = await LinkCode.get_or_none(code=code[:16])
        now = self.clock.now()
        if found is None:
            raise InvalidInput(f"{code[:16]!r} is not a link code I gave out")
        if found.used_at is not None:
            raise InvalidState("that link code was used already; ask for a new one with /link")
        if found.expires_at <= now:
            raise InvalidState("that link code expired; ask for a new one with /link")
        if found.fan_id == fan_id:
            raise InvalidState("that code is for your other account: send it from there")
        await self._refuse_taken_platforms(found.fan_id, fan_id)
        await self._refuse_two_memberships(found.fan_id, fan_id)
        async with in_transaction():
            if not await sql.rows(_CLAIM, now=now, code=code):
                raise InvalidState("that link code was used already; ask for a new one with /link")
            kept, merged = await Fan.get(id=found.fan_id), await Fan.get(id=fan_id)
            refusal = await _refusal_between(kept, merged)
            for statement in _MERGE:
                await sql.rows(statement, kept=kept.id, merged=merged.id)
            await carry_over(merged.id, kept.id)
            await Fan.filter(id=kept.id).update(
                dm_opt_in=refusal is None and (kept.dm_opt_in or merged.dm_opt_in),
                named_in_shout_outs=kept.named_in_shout_outs and merged.named_in_shout_outs,
                email=kept.email or merged.email,
            )
            if refusal is not None:
                await ConsentRecord.create(
                    fan_id=kept.id, given=False, platform=refusal.platform, how=MERGED, at=now
                )
        await self.recognition.retier(found.fan_id)
        await self.perks.reconcile(found.fan_id, f"accounts linked (fan #{fan_id} joined)")
        return found.fan_id

    async def _refuse_two_memberships(self, kept: int, merged: int) -> None:
        """One unended membership of a plan per fan (the database holds to it): two accounts
        each paying for the same plan are not joined until one membership ends."""
        mine = await Membership.filter(fan_id=kept, live__isnull=False).values_list(
            "plan_id", flat=True
        )
        both = await Membership.filter(
            fan_id=merged, live__isnull=False, plan_id__in=list(mine)
        ).values_list("plan__name", flat=True)
        if both:
            names = ", ".join(repr(name) for name in sorted(both))
            raise InvalidState(
                f"both accounts are members of {names}; cancel one of the two memberships, "
                "then link the accounts"
            )

    async def _refuse_taken_platforms(self, kept: int, merged: int) -> None:
        """One account per platform per fan: linking two Telegram accounts is refused."""
        mine = set(await PlatformAccount.filter(fan_id=kept).values_list("platform", flat=True))
        theirs = await PlatformAccount.filter(fan_id=merged).values_list("platform", flat=True)
        taken = mine & set(theirs)
        if taken:
            where = ", ".join(sorted(str(platform) for platform in taken))
            raise InvalidState(
                f"that code's fan already has a {where} account linked; "
                "an account can be linked to only one person"
            )
