"""Points and tiers. The ledger is append-only: an entry is unique per (fan, reason, source),
so a replayed event never doubles points, and a refund or dispute appends the reversing
entries (invariant 3). A fan's tier is always `Rules.tier_for` of their ledger's sum."""

from __future__ import annotations

from dataclasses import dataclass, field

from core import sql
from core.bus import EventBus
from core.events import OrderPaid, OrderRestored, OrderReversed, TierChanged
from core.models import Drop, FanTier, LedgerEntry
from core.ports import Clock

_AWARD = (
    'INSERT INTO "ledger_entry" ("fan_id", "amount", "reason", "source_id", "created_at") '
    'VALUES ({0}, {1}, {2}, {3}, {4}) ON CONFLICT ("fan_id", "reason", "source_id") DO NOTHING '
    'RETURNING "id"'
)
_TOTAL = 'SELECT COALESCE(SUM("amount"), 0) AS total FROM "ledger_entry" WHERE "fan_id" = {0}'
_TIER = 'SELECT "tier" FROM "fan" WHERE "id" = {0}'
# compare-and-set: only the worker that saw the old tier publishes the change
_RETIER = 'UPDATE "fan" SET "tier" = {0} WHERE "id" = {1} AND "tier" = {2} RETURNING "id"'
_BUYER_RANK = (
    'SELECT COUNT(*) AS rank FROM "order" o JOIN "drop_tier" t ON t."id" = o."tier_id" '
    'WHERE t."drop_id" = {0} AND o."id" <= {1}'
)
UNDO = "undo:"
REDO = "redo:"


@dataclass(frozen=True, slots=True)
class Rules:
    """What earns points, and the points each tier needs (settings override the defaults)."""

    first_buyers: int = 10  # the first N orders of a drop earn `first_buyer_points`
    first_buyer_points: int = 50
    quick_minutes: int = 15  # an order paid within M minutes of the opening earns more
    quick_points: int = 20
    points_per_minute: int = 1  # listened live, up to `minutes_cap` a session
    minutes_cap: int = 40
    code_points: int = 10  # a live code claimed on air
    thresholds: dict[FanTier, int] = field(
        default_factory=lambda: {
            FanTier.SUPPORTER: 50,
            FanTier.INSIDER: 150,
            FanTier.INNER_CIRCLE: 400,
        }
    )

    def tier_for(self, points: int) -> FanTier:
        reached = [tier for tier, needed in self.thresholds.items() if points >= needed]
        return max(reached, key=lambda tier: tier.rank, default=FanTier.FAN)


class Recognition:
    def __init__(self, clock: Clock, bus: EventBus, rules: Rules) -> None:
        self.clock = clock
        self.bus = bus
        self.rules = rules

    async def award(self, fan_id: int, points: int, reason: str, source_id: str) -> bool:
        """Add an entry once per (fan, reason, source); False if it was there already."""
        values = (fan_id, points, reason[:32], source_id[:64], self.clock.now())
        added = bool(await sql.rows(_AWARD, *values))
        if added:
            await self.retier(fan_id)
        return added

    async def points(self, fan_id: int) -> int:
        return int((await sql.rows(_TOTAL, fan_id))[0]["total"])

    async def retier(self, fan_id: int) -> FanTier:
        """Set the fan's tier from their ledger; a change is published once, by whichever
        worker swapped the old tier for the new one."""
        while True:
            tier = self.rules.tier_for(await self.points(fan_id))
            was = FanTier((await sql.rows(_TIER, fan_id))[0]["tier"])
            if was == tier:
                return tier
            async with self.bus.transaction() as changes:
                if swapped := bool(await sql.rows(_RETIER, tier.value, fan_id, was.value)):
                    rose = tier.rank > was.rank
                    changes.add(TierChanged(self.clock.now(), fan_id, tier.value, rose))
            if swapped:
                return tier

    async def order_paid(self, event: OrderPaid) -> None:
        """Early buyers: among the first N orders of the drop, or paid soon after opening."""
        source = f"order:{event.order_id}"
        rank = (await sql.rows(_BUYER_RANK, event.drop_id, event.order_id))[0]["rank"]
        if rank <= self.rules.first_buyers:
            await self.award(event.fan_id, self.rules.first_buyer_points, "early_buyer", source)
        drop = await Drop.get(id=event.drop_id)
        if drop.opened_at and (event.at - drop.opened_at).total_seconds() <= (
            self.rules.quick_minutes * 60
        ):
            await self.award(event.fan_id, self.rules.quick_points, "quick_buyer", source)

    async def order_reversed(self, event: OrderReversed) -> None:
        """Take back exactly what the order earned, by appending its opposite."""
        source = f"order:{event.order_id}"
        earned = await LedgerEntry.filter(source_id=source, amount__gt=0)
        for entry in earned:
            await self.award(entry.fan_id, -entry.amount, UNDO + entry.reason, source)

    async def order_restored(self, event: OrderRestored) -> None:
        """Give back exactly what the reversal took, by appending the opposite of each undo."""
        source = f"order:{event.order_id}"
        undone = await LedgerEntry.filter(source_id=source, reason__startswith=UNDO)
        for entry in undone:
            reason = REDO + entry.reason.removeprefix(UNDO)
            await self.award(entry.fan_id, -entry.amount, reason, source)
