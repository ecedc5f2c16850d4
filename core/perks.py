"""Who holds which perk. A fan is entitled to a perk while anything grants it: a paid order
of a tier with the perk, their recognition tier, a membership whose access runs (or, for a
plan's `lapsed_perk`, one whose payments lapsed); a role is removed only when nothing grants
it any more. Each platform is told about each change once: a worker first claims the change
with a conditional update of the fan's `PerkGrant`, and writes it to the access log
(`PerkChange`, with its cause) in the same transaction, then calls the platform, and gives
both back if the platform failed, so the next sweep tries again. The sweep also catches
access that ended by time (a cancelled membership's period, a grace period running out) and
repairs grants a platform lost (a role removed by hand), where the platform can be asked."""

from __future__ import annotations

import re
from collections.abc import Mapping

import structlog
from tortoise.transactions import in_transaction

from core import sql
from core.errors import InvalidInput, InvalidState, NotFound
from core.events import MembershipChanged, OrderPaid, OrderRestored, OrderReversed, TierChanged
from core.fans import FanRef, fan_id_of
from core.kinds import FanTier, MemberState, PerkGrantStatus, Platform
from core.messages import PerkGranted, PerkTakenBack
from core.models import Perk, PerkChange, PerkGrant
from core.perk_holders import perk_ref, read_holders
from core.ports import Clock, FanMessenger, Perks

PerkEvent = OrderPaid | OrderReversed | OrderRestored | TierChanged | MembershipChanged

log = structlog.get_logger(__name__)

PERK_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
GRANTED, REVOKED = PerkGrantStatus.GRANTED.value, PerkGrantStatus.REVOKED.value


def _rank(column: str) -> str:
    """A tier column as its rank, in SQL, so tiers compare in the database."""
    cases = " ".join(f"WHEN '{tier.value}' THEN {tier.rank}" for tier in FanTier)
    return f"CASE {column} {cases} END"


def _entitled(of_one_fan: bool) -> str:
    """Who should hold which perk: buyers of a tier that grants it, fans at its tier or
    above, members whose membership grants access now ({now}), holders of a redeemed perk
    token inside its window, and the plan's lapsed perk for members whose payments lapsed
    and who have no access through that plan. For one fan ({fan_id}), each part is narrowed
    by its own index rather than after the union."""
    order, fan, member, token = (
        (
            'AND o."fan_id" = {fan_id} ',
            'WHERE f."id" = {fan_id} ',
            'AND m."fan_id" = {fan_id} ',
            'AND k."holder_id" = {fan_id} ',
        )
        if of_one_fan
        else ("", "", "", "")
    )
    return (
        'SELECT DISTINCT o."fan_id", t."perk_id" FROM "order" o '
        'JOIN "drop_tier" t ON t."id" = o."tier_id" '
        f'WHERE o."status" = \'paid\' AND t."perk_id" IS NOT NULL {order}'
        'UNION SELECT f."id" AS "fan_id", p."id" AS "perk_id" FROM "fan" f JOIN "perk" p '
        f'ON p."min_tier" IS NOT NULL AND {_rank("f.tier")} >= {_rank("p.min_tier")} {fan}'
        'UNION SELECT m."fan_id", pp."perk_id" FROM "membership" m '
        'JOIN "membership_plan_perk" pp ON pp."membership_plan_id" = m."plan_id" '
        f'WHERE m."access_until" > {{now}} {member}'
        'UNION SELECT k."holder_id" AS "fan_id", s."perk_id" FROM "perk_token" k '
        'JOIN "perk_token_set" s ON s."id" = k."token_set_id" WHERE s."perk_id" IS NOT NULL '
        f'AND k."perk_from" <= {{now}} AND k."perk_until" > {{now}} {token}'
        'UNION SELECT m."fan_id", p."lapsed_perk_id" AS "perk_id" FROM "membership" m '
        'JOIN "membership_plan" p ON p."id" = m."plan_id" WHERE p."lapsed_perk_id" IS NOT NULL '
        f"AND m.\"state\" IN ('{MemberState.LAPSED.value}', '{MemberState.PAST_DUE.value}') "
        f"{member}"
        'AND NOT EXISTS (SELECT 1 FROM "membership" a WHERE a."fan_id" = m."fan_id" '
        'AND a."plan_id" = m."plan_id" AND a."access_until" > {now})'
    )


_ENTITLED = _entitled(of_one_fan=False)
_ENTITLED_FAN = _entitled(of_one_fan=True)
_HELD = 'SELECT "fan_id", "perk_id" FROM "perk_grant" WHERE "status" = \'granted\''
_CLAIM_GRANT = (
    'INSERT INTO "perk_grant" ("perk_id", "fan_id", "status", "access", "changed_at") '
    "VALUES ({perk_id}, {fan_id}, {status}, '', {now}) "
    'ON CONFLICT ("perk_id", "fan_id") DO UPDATE SET "status" = {status}, "changed_at" = {now} '
    'WHERE "perk_grant"."status" = {was} RETURNING "id"'
)
_MOVE = (
    'UPDATE "perk_grant" SET "status" = {status}, "changed_at" = {now} '
    'WHERE "id" = {id} AND "status" = {was} RETURNING "id"'
)


def moves_perks(event: MembershipChanged) -> bool:
    """Whether a membership's change may move what its fan holds: it began, changed state,
    or grants no access now. A renewal only moves the end of access further (a month's
    renewals queue no perk work, bench/renewals.py)."""
    granting = event.access_until is not None and event.access_until > event.at
    changed = event.was != event.state or event.moved_from_plan is not None
    return event.was is None or changed or not granting


def cause_of(event: PerkEvent) -> str:
    """Why the event changed what the fan holds, in the access log's words."""
    match event:
        case OrderPaid():
            return f"order #{event.order_id} paid"
        case OrderReversed():
            return f"order #{event.order_id} {event.status}"
        case OrderRestored():
            return f"order #{event.order_id} paid again (dispute won)"
        case TierChanged():
            return f"tier {'rose' if event.rose else 'fell'} to {event.tier}"
        case MembershipChanged() if event.was is None:
            return f"membership #{event.membership_id} started ({event.state})"
        case MembershipChanged() if event.was != event.state:
            return f"membership #{event.membership_id} {event.was} → {event.state}"
        case MembershipChanged():
            until = f"{event.access_until:%Y-%m-%d %H:%M} UTC" if event.access_until else "none"
            return f"membership #{event.membership_id} {event.state}, access until {until}"


class PerkService:
    def __init__(
        self, clock: Clock, platforms: Mapping[str, Perks], messenger: FanMessenger
    ) -> None:
        self.clock = clock
        self.platforms = platforms
        self.messenger = messenger

    async def follow(self, event: PerkEvent) -> None:
        """What the fan holds changed: their perks follow (a notice, so retried)."""
        await self.reconcile(event.fan_id, cause_of(event))

    async def for_tier(self, name: str, tier: FanTier | str | None) -> Perk:
        """Fans at `tier` or above hold the perk (None: only buyers of a tier with it)."""
        perk = await Perk.get_or_none(name=name.strip().lower())
        if perk is None:
            raise NotFound(f"there is no perk called {name!r}")
        try:
            perk.min_tier = FanTier(tier) if tier is not None else None
        except ValueError:
            choices = ", ".join(t.value for t in FanTier)
            raise InvalidInput(f"{tier!r} is not a tier: one of {choices}") from None
        await perk.save(update_fields=["min_tier"])
        await self.sweep(f"creator: {perk.name} for {perk.min_tier or 'buyers only'}")
        return perk

    async def register(
        self, name: str, title: str, platform: Platform, place_ref: str, ref: str
    ) -> Perk:
        """A creator names a perk where it lives; run again there, it takes the new title.
        A name already given to another place is refused: its holders live there."""
        name = name.strip().lower()
        if not PERK_NAME.fullmatch(name):
            raise InvalidInput(
                f"a perk name is 1 to 32 lowercase letters, digits, - or _, not {name!r}"
            )
        same = await Perk.get_or_none(name=name)
        title = title.strip()[:100] or (same.title if same else name)
        if same is not None and (same.platform, same.place_ref, same.ref) != (
            platform,
            place_ref,
            ref,
        ):
            raise InvalidState(f"the perk {name!r} is already given elsewhere; pick another name")
        perk, _ = await Perk.update_or_create(
            name=name,
            defaults={"title": title, "platform": platform, "place_ref": place_ref, "ref": ref},
        )
        return perk

    async def reconcile(self, fan_id: int, cause: str = "reconciled on request") -> None:
        """Make the platforms match what the fan is entitled to now; `cause` goes to the
        access log with each change."""
        rows = await sql.rows(_ENTITLED_FAN, fan_id=fan_id, now=self.clock.now())
        entitled = {int(row["perk_id"]) for row in rows}
        grants = await PerkGrant.filter(fan_id=fan_id)
        held = {grant.perk_id for grant in grants if grant.status == PerkGrantStatus.GRANTED}
        for perk_id in sorted(entitled - held):
            await self._grant(fan_id, perk_id, cause)
        for grant in grants:
            if grant.status == PerkGrantStatus.GRANTED and grant.perk_id not in entitled:
                await self._revoke(grant, cause)

    async def release_all(self, fan_id: int, cause: str = "the fan asked to be forgotten") -> None:
        """Take every perk the fan holds back (they asked to be forgotten)."""
        for grant in await PerkGrant.filter(fan_id=fan_id, status=PerkGrantStatus.GRANTED):
            await self._revoke(grant, cause)

    async def entitled(self) -> set[tuple[int, int]]:
        """Every (fan id, perk id) that something grants now."""
        return await _pairs(_ENTITLED, now=self.clock.now())

    async def sweep(self, cause: str = "sweep") -> int:
        """Reconcile every fan whose perks differ from their entitlement (a platform that
        failed earlier, a process that stopped mid-change, access that ran out by time),
        then repair what a platform lost; returns how many fans changed."""
        differing = await self.entitled() ^ await _pairs(_HELD)
        fans = sorted({fan for fan, _ in differing})
        for fan_id in fans:
            await self.reconcile(fan_id, cause)
        return len(fans) + await self.repair(cause)

    async def repair(self, cause: str = "sweep") -> int:
        """Give again what Dropcast granted but the platform says the fan lacks (a role
        removed by hand, a grant cut short by a restart), where the platform can say;
        returns how many."""
        grants = await PerkGrant.filter(status=PerkGrantStatus.GRANTED).select_related("perk")
        holders = await read_holders(
            self.platforms, list({g.perk_id: g.perk for g in grants}.values())
        )
        repaired = 0
        for grant in grants:
            if not holders.lacks(grant.fan_id, grant.perk):
                continue
            platform = self._platform(grant.perk)
            if platform is None:
                continue
            try:
                access = await platform.grant(grant.fan_id, perk_ref(grant.perk), grant.access)
            except Exception:
                log.exception("perk_repair_failed", perk=grant.perk.name, fan_id=grant.fan_id)
                continue
            async with in_transaction():
                await PerkGrant.filter(id=grant.id).update(access=access[:255])
                await self._log(
                    grant.fan_id,
                    grant.perk_id,
                    GRANTED,
                    f"{cause}: it was missing on {grant.perk.platform}",
                )
            repaired += 1
        return repaired

    async def reissue_as(self, fan: FanRef) -> list[str]:
        """`/perks`: fresh access for the platform user's perks (`reissue`)."""
        return await self.reissue(await fan_id_of(fan))

    async def reissue(self, fan_id: int) -> list[str]:
        """Fresh access for every perk the fan holds (an invite link expired or was lost);
        the earlier access is voided. Returns the perks' titles."""
        grants = await PerkGrant.filter(
            fan_id=fan_id, status=PerkGrantStatus.GRANTED
        ).select_related("perk")
        titles = []
        for grant in grants:
            platform = self._platform(grant.perk)
            if platform is None:
                continue
            access = await platform.grant(fan_id, perk_ref(grant.perk), replacing=grant.access)
            await PerkGrant.filter(id=grant.id).update(access=access[:255])
            await self.messenger.send(fan_id, PerkGranted(grant.perk.title, access))
            titles.append(grant.perk.title)
        return titles

    async def _grant(self, fan_id: int, perk_id: int, cause: str) -> None:
        now = self.clock.now()
        async with in_transaction():
            claimed = await sql.rows(
                _CLAIM_GRANT, perk_id=perk_id, fan_id=fan_id, status=GRANTED, now=now, was=REVOKED
            )
            if not claimed:
                return  # another worker granted it meanwhile
            logged = await self._log(fan_id, perk_id, GRANTED, cause)
        grant_id = claimed[0]["id"]
        perk = await Perk.get(id=perk_id)
        platform = self._platform(perk)
        try:
            if platform is None:
                raise LookupError(f"no {perk.platform} adapter is running")
            access = await platform.grant(fan_id, perk_ref(perk))
        except Exception:
            await self._undo(grant_id, logged, GRANTED, REVOKED)
            log.exception("perk_grant_failed", perk=perk.name, fan_id=fan_id)
            return
        await PerkGrant.filter(id=grant_id).update(access=access[:255])
        await self.messenger.send(fan_id, PerkGranted(perk.title, access))

    async def _revoke(self, grant: PerkGrant, cause: str) -> None:
        async with in_transaction():
            if not await sql.rows(
                _MOVE, status=REVOKED, now=self.clock.now(), id=grant.id, was=GRANTED
            ):
                return
            logged = await self._log(grant.fan_id, grant.perk_id, REVOKED, cause)
        perk = await Perk.get(id=grant.perk_id)
        platform = self._platform(perk)
        try:
            if platform is None:
                raise LookupError(f"no {perk.platform} adapter is running")
            await platform.revoke(grant.fan_id, perk_ref(perk), grant.access)
        except Exception:
            await self._undo(grant.id, logged, REVOKED, GRANTED)
            log.exception("perk_revoke_failed", perk=perk.name, fan_id=grant.fan_id)
            return
        await self.messenger.send(grant.fan_id, PerkTakenBack(perk.title))

    async def _log(self, fan_id: int, perk_id: int, change: str, cause: str) -> int:
        row = await PerkChange.create(
            fan_id=fan_id, perk_id=perk_id, change=change, cause=cause[:200], at=self.clock.now()
        )
        return row.id

    async def _undo(self, grant_id: int, logged: int, was: str, back: str) -> None:
        """The platform failed: the claim goes back, and the log forgets the change."""
        async with in_transaction():
            await sql.rows(_MOVE, status=back, now=self.clock.now(), id=grant_id, was=was)
            await PerkChange.filter(id=logged).delete()

    def _platform(self, perk: Perk) -> Perks | None:
        return self.platforms.get(perk.platform)


async def _pairs(statement: str, **values: object) -> set[tuple[int, int]]:
    return {(row["fan_id"], row["perk_id"]) for row in await sql.rows(statement, **values)}
