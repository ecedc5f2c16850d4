"""Points and tiers. The ledger is append-only: an entry is unique per (fan, reason, source),
so a replayed event never doubles points, and a refund or dispute appends the reversing
entries (invariant 3). A fan's tier is always `Rules.tier_for` of their ledger's sum."""

from __future__ import annotations

from dataclasses import dataclass, field

from core import sql
from core.bus import EventBus
from core.events import OrderPaid, OrderRestored, OrderReversed, TierChanged
from core.kinds import FanTier
from core.models import Drop, LedgerEntry
from core.ports import Clock

_AWARD = (
    'INSERT INTO "ledger_entry" ("fan_id", "amount", "reason", "source_id", "created_at") '
    'VALUES {rows} ON CONFLICT ("fan_id", "reason", "source_id") DO NOTHING RETURNING "id"'
)
_TOTAL = 'SELECT COALESCE(SUM("amount"), 0) AS total FROM "ledger_entry" WHERE "fan_id" = {fan_id}'
_TIER_AND_TOTAL = (
    'SELECT f."tier", COALESCE((SELECT SUM(l."amount") FROM "ledger_entry" l '
    'WHERE l."fan_id" = f."id"), 0) AS total FROM "fan" f WHERE f."id" = {fan_id}'
)
# compare-and-set: only the worker that saw the old tier publishes the change
_RETIER = 'UPDATE "fan" SET "tier" = {tier} WHERE "id" = {fan_id} AND "tier" = {was} RETURNING "id"'
# the order's place among the drop's first orders (counted no further than {limit}: a drop's
# thousandth order need not count the 999 before it), and when the drop opened
_EARLY = (
    'SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM "order" o JOIN "drop_tier" t '
    'ON t."id" = o."tier_id" WHERE t."drop_id" = {drop_id} AND o."id" <= {order_id} LIMIT {limit}) '
    'AS firsts) AS rank, d."opened_at" FROM "drop" d WHERE d."id" = {drop_id}'
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
        return await self._award(fan_id, [(points, reason)], source_id)

    async def _award(self, fan_id: int, earned: list[tuple[int, str]], source_id: str) -> bool:
        """`award` for several entries of one source, the tier set once after them."""
        if not earned:
            return False
        now = self.clock.now()
        rows = [(fan_id, points, reason[:32], source_id[:64], now) for points, reason in earned]
        added = bool(await sql.rows(_AWARD, rows=rows))
        if added:
            await self.retier(fan_id)
        return added

    async def points(self, fan_id: int) -> int:
        return int((await sql.rows(_TOTAL, fan_id=fan_id))[0]["total"])

    async def retier(self, fan_id: int) -> FanTier:
        """Set the fan's tier from their ledger; a change is published once, by whichever
        worker swapped the old tier for the new one."""
        while True:
            [row] = await sql.rows(_TIER_AND_TOTAL, fan_id=fan_id)
            tier, was = self.rules.tier_for(int(row["total"])), FanTier(row["tier"])
            if was == tier:
                return tier
            async with self.bus.transaction() as changes:
                retiered = await sql.rows(_RETIER, tier=tier.value, fan_id=fan_id, was=was.value)
                if swapped := bool(retiered):
                    rose = tier.rank > was.rank
                    changes.add(TierChanged(self.clock.now(), fan_id, tier.value, rose))
            if swapped:
                return tier

    async def order_paid(self, event: OrderPaid) -> None:
        """Early buyers: among the first N orders of the drop, or paid soon after opening."""
        rules, earned = self.rules, []
        limit = rules.first_buyers + 1
        [row] = await sql.rows(_EARLY, drop_id=event.drop_id, order_id=event.order_id, limit=limit)
        if row["rank"] <= rules.first_buyers:
            earned.append((rules.first_buyer_points, "early_buyer"))
        opened = Drop._meta.fields_map["opened_at"].to_python_value(row["opened_at"])
        if opened and (event.at - opened).total_seconds() <= rules.quick_minutes * 60:
            earned.append((rules.quick_points, "quick_buyer"))
        await self._award(event.fan_id, earned, f"order:{event.order_id}")

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
