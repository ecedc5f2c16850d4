"""Each drop: sell-through, time to sell out, and its funnel (fans reached by campaign DMs
→ fans who tapped a link to it → fans who held a unit → fans who paid). Posts in channels
have no view counts, so reach is what Dropcast itself sent."""

from __future__ import annotations

from dataclasses import dataclass

from core import sql
from core.analytics.dialect import minutes_between

_DROPS = (
    'SELECT d.id AS id, d.title AS title, SUM(t.stock) AS stock FROM "drop" d '
    'JOIN "drop_tier" t ON t.drop_id = d.id WHERE d.opened_at IS NOT NULL '
    "GROUP BY d.id, d.title ORDER BY d.id"
)
_PAID = (
    'SELECT t.drop_id AS drop_id, COUNT(*) AS n, COUNT(DISTINCT o.fan_id) AS fans FROM "order" o '
    "JOIN \"drop_tier\" t ON t.id = o.tier_id WHERE o.status = 'paid' GROUP BY t.drop_id"
)
# the minute the last unit went: the stock-th paid order of each drop
_SOLD_OUT = (
    "SELECT x.drop_id AS drop_id, x.m AS m FROM (SELECT t.drop_id AS drop_id, {minutes} AS m, "
    "ROW_NUMBER() OVER (PARTITION BY t.drop_id ORDER BY o.created_at, o.id) AS r "
    'FROM "order" o JOIN "drop_tier" t ON t.id = o.tier_id JOIN "drop" d ON d.id = t.drop_id '
    "WHERE o.status = 'paid') x JOIN (SELECT drop_id, SUM(stock) AS stock FROM \"drop_tier\" "
    "GROUP BY drop_id) s ON s.drop_id = x.drop_id AND x.r = s.stock"
)
_REACHED = (
    'SELECT c.drop_id AS drop_id, COUNT(DISTINCT x.fan_id) AS n FROM "delivery" x '
    "JOIN \"campaign\" c ON c.id = x.campaign_id WHERE x.status = 'sent' GROUP BY c.drop_id"
)
# fans who tapped their campaign DM's link to the drop, or their own pay link for it
_TAPPED = (
    "SELECT drop_id, COUNT(DISTINCT fan_id) AS n FROM ("
    'SELECT c.drop_id AS drop_id, x.fan_id AS fan_id FROM "delivery" x '
    'JOIN "campaign" c ON c.id = x.campaign_id '
    "JOIN \"link\" l ON l.purpose = 'delivery' AND l.ref = CAST(x.id AS VARCHAR(64)) "
    "WHERE l.clicks > 0 UNION "
    'SELECT t.drop_id AS drop_id, r.fan_id AS fan_id FROM "reservation" r '
    'JOIN "drop_tier" t ON t.id = r.tier_id '
    "JOIN \"link\" l ON l.purpose = 'pay' AND l.ref = CAST(r.id AS VARCHAR(64)) "
    "WHERE l.clicks > 0) taps GROUP BY drop_id"
)
_HELD = (
    'SELECT t.drop_id AS drop_id, COUNT(DISTINCT r.fan_id) AS n FROM "reservation" r '
    'JOIN "drop_tier" t ON t.id = r.tier_id GROUP BY t.drop_id'
)


@dataclass(frozen=True, slots=True)
class DropReport:
    id: int
    title: str
    stock: int
    sold: int
    minutes_to_sell_out: float | None  # None while units remain
    reached: int
    tapped: int
    held: int
    paid: int

    @property
    def sell_through(self) -> float:
        return round(self.sold / self.stock, 3) if self.stock else 0.0


async def drop_reports() -> list[DropReport]:
    """Every drop that opened, oldest first: each figure one grouped read for all drops."""
    paid = {int(r["drop_id"]): (int(r["n"]), int(r["fans"])) for r in await sql.rows(_PAID)}
    minutes = minutes_between("d.opened_at", "o.created_at")
    sold_out = {
        int(r["drop_id"]): round(float(r["m"]), 1)
        for r in await sql.rows(_SOLD_OUT.format(minutes=minutes))
    }
    reached = await _per_drop(_REACHED)
    tapped = await _per_drop(_TAPPED)
    held = await _per_drop(_HELD)
    reports = []
    for drop in await sql.rows(_DROPS):
        ref = int(drop["id"])
        sold, buyers = paid.get(ref, (0, 0))
        counts = (reached.get(ref, 0), tapped.get(ref, 0), held.get(ref, 0), buyers)
        stock = int(drop["stock"])
        reports.append(DropReport(ref, str(drop["title"]), stock, sold, sold_out.get(ref), *counts))
    return reports


async def _per_drop(query: str) -> dict[int, int]:
    return {int(r["drop_id"]): int(r["n"]) for r in await sql.rows(query)}
