"""Who holds which perk. A paid order of a tier with a perk entitles its fan; a refund or a
dispute ends that. Each platform is told about each change once: a worker first claims the
change with a conditional update of the fan's `PerkGrant`, then calls the platform, and gives
the claim back if the platform failed, so the next sweep tries again."""

from __future__ import annotations

import re
from collections.abc import Mapping

import structlog

from core import sql
from core.errors import InvalidInput, InvalidState, NotFound
from core.events import OrderPaid, OrderRestored, OrderReversed, TierChanged
from core.fans import FanRef, fan_id_of
from core.kinds import FanTier, OrderStatus, PerkGrantStatus, Platform
from core.messages import PerkGranted, PerkRef, PerkTakenBack
from core.models import Fan, Order, Perk, PerkGrant
from core.ports import Clock, FanMessenger, Perks

log = structlog.get_logger(__name__)

PERK_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
GRANTED, REVOKED = PerkGrantStatus.GRANTED.value, PerkGrantStatus.REVOKED.value


def _rank(column: str) -> str:
    """A tier column as its rank, in SQL, so tiers compare in the database."""
    cases = " ".join(f"WHEN '{tier.value}' THEN {tier.rank}" for tier in FanTier)
    return f"CASE {column} {cases} END"


# who should hold which perk: buyers of a tier that grants it, and fans at its tier or above
_ENTITLED = (
    'SELECT DISTINCT o."fan_id", t."perk_id" FROM "order" o '
    'JOIN "drop_tier" t ON t."id" = o."tier_id" '
    'WHERE o."status" = \'paid\' AND t."perk_id" IS NOT NULL '
    'UNION SELECT f."id" AS "fan_id", p."id" AS "perk_id" FROM "fan" f JOIN "perk" p '
    f'ON p."min_tier" IS NOT NULL AND {_rank("f.tier")} >= {_rank("p.min_tier")}'
)
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


def perk_ref(perk: Perk) -> PerkRef:
    return PerkRef(perk.id, perk.title, perk.platform, perk.place_ref, perk.ref)


class PerkService:
    def __init__(
        self, clock: Clock, platforms: Mapping[str, Perks], messenger: FanMessenger
    ) -> None:
        self.clock = clock
        self.platforms = platforms
        self.messenger = messenger

    async def follow(self, event: OrderPaid | OrderReversed | OrderRestored | TierChanged) -> None:
        """What the fan holds changed: their perks follow (a notice, so retried)."""
        await self.reconcile(event.fan_id)

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
        await self.sweep()
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

    async def reconcile(self, fan_id: int) -> None:
        """Make the platforms match what the fan is entitled to now."""
        paid = Order.filter(fan_id=fan_id, status=OrderStatus.PAID, tier__perk_id__isnull=False)
        entitled: set[int] = {perk for (perk,) in await paid.values_list("tier__perk_id")}
        rank = (await Fan.get(id=fan_id)).tier.rank
        by_tier = await Perk.filter(min_tier__isnull=False).values_list("id", "min_tier")
        entitled |= {perk for perk, tier in by_tier if FanTier(tier).rank <= rank}
        grants = await PerkGrant.filter(fan_id=fan_id)
        held = {grant.perk_id for grant in grants if grant.status == PerkGrantStatus.GRANTED}
        for perk_id in sorted(entitled - held):
            await self._grant(fan_id, perk_id)
        for grant in grants:
            if grant.status == PerkGrantStatus.GRANTED and grant.perk_id not in entitled:
                await self._revoke(grant)

    async def release_all(self, fan_id: int) -> None:
        """Take every perk the fan holds back (they asked to be forgotten)."""
        for grant in await PerkGrant.filter(fan_id=fan_id, status=PerkGrantStatus.GRANTED):
            await self._revoke(grant)

    async def sweep(self) -> int:
        """Reconcile every fan whose perks differ from their entitlement (a platform that
        failed earlier, a process that stopped mid-change); returns how many."""
        differing = await _pairs(_ENTITLED) ^ await _pairs(_HELD)
        fans = sorted({fan for fan, _ in differing})
        for fan_id in fans:
            await self.reconcile(fan_id)
        return len(fans)

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

    async def _grant(self, fan_id: int, perk_id: int) -> None:
        now = self.clock.now()
        claimed = await sql.rows(
            _CLAIM_GRANT, perk_id=perk_id, fan_id=fan_id, status=GRANTED, now=now, was=REVOKED
        )
        if not claimed:
            return  # another worker granted it meanwhile
        grant_id = claimed[0]["id"]
        perk = await Perk.get(id=perk_id)
        platform = self._platform(perk)
        try:
            if platform is None:
                raise LookupError(f"no {perk.platform} adapter is running")
            access = await platform.grant(fan_id, perk_ref(perk))
        except Exception:
            await sql.rows(_MOVE, status=REVOKED, now=self.clock.now(), id=grant_id, was=GRANTED)
            log.exception("perk_grant_failed", perk=perk.name, fan_id=fan_id)
            return
        await PerkGrant.filter(id=grant_id).update(access=access[:255])
        await self.messenger.send(fan_id, PerkGranted(perk.title, access))

    async def _revoke(self, grant: PerkGrant) -> None:
        if not await sql.rows(
            _MOVE, status=REVOKED, now=self.clock.now(), id=grant.id, was=GRANTED
        ):
            return
        perk = await Perk.get(id=grant.perk_id)
        platform = self._platform(perk)
        try:
            if platform is None:
                raise LookupError(f"no {perk.platform} adapter is running")
            await platform.revoke(grant.fan_id, perk_ref(perk), grant.access)
        except Exception:
            await sql.rows(_MOVE, status=GRANTED, now=self.clock.now(), id=grant.id, was=REVOKED)
            log.exception("perk_revoke_failed", perk=perk.name, fan_id=grant.fan_id)
            return
        await self.messenger.send(grant.fan_id, PerkTakenBack(perk.title))

    def _platform(self, perk: Perk) -> Perks | None:
        return self.platforms.get(perk.platform)


async def _pairs(statement: str) -> set[tuple[int, int]]:
    return {(row["fan_id"], row["perk_id"]) for row in await sql.rows(statement)}
