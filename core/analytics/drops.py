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
    'FROM "order" o JOIN "drop_tier" t ON t.id = o.tier_id JOIN "drop" d ON d.id = t.drop_id '
    "WHERE d.id = {0} AND o.status = 'paid'"
)
_REACHED = (
    'SELECT COUNT(DISTINCT x.fan_id) AS n FROM "delivery" x JOIN "campaign" c '
    "ON c.id = x.campaign_id WHERE c.drop_id = {0} AND x.status = 'sent'"
)
# fans who tapped their campaign DM's link to the drop, or their own pay link for it
_TAPPED = (
    "SELECT COUNT(DISTINCT fan_id) AS n FROM ("
    'SELECT x.fan_id AS fan_id FROM "delivery" x JOIN "campaign" c ON c.id = x.campaign_id '
    "JOIN \"link\" l ON l.purpose = 'delivery' AND l.ref = CAST(x.id AS VARCHAR(64)) "
    "WHERE c.drop_id = {0} AND l.clicks > 0 UNION "
    'SELECT r.fan_id AS fan_id FROM "reservation" r JOIN "drop_tier" t ON t.id = r.tier_id '
    "JOIN \"link\" l ON l.purpose = 'pay' AND l.ref = CAST(r.id AS VARCHAR(64)) "
    "WHERE t.drop_id = {1} AND l.clicks > 0) taps"
)
_HELD = (
    'SELECT COUNT(DISTINCT r.fan_id) AS n FROM "reservation" r JOIN "drop_tier" t '
    "ON t.id = r.tier_id WHERE t.drop_id = {0}"
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
    """Every drop that opened, oldest first."""
    return [await _report(row) for row in await sql.rows(_DROPS)]


async def _report(drop: dict[str, object]) -> DropReport:
    ref, stock = int(str(drop["id"])), int(str(drop["stock"]))
    [counts] = await sql.rows(
        f"SELECT COUNT(*) AS n, COUNT(DISTINCT o.fan_id) AS fans {_PAID}", ref
    )
    sold = int(counts["n"])
    sold_out = None
    if stock and sold >= stock:  # when the last unit went: the stock-th paid order
        minutes = minutes_between("d.opened_at", "o.created_at")
        [last] = await sql.rows(
            f"SELECT {minutes} AS m {_PAID} ORDER BY o.created_at LIMIT 1 OFFSET {stock - 1}",
            ref,
        )
        sold_out = round(float(last["m"]), 1)
    [reached] = await sql.rows(_REACHED, ref)
    [tapped] = await sql.rows(_TAPPED, ref, ref)
    [held] = await sql.rows(_HELD, ref)
    return DropReport(
        ref, str(drop["title"]), stock, sold, sold_out,
        int(reached["n"]), int(tapped["n"]), int(held["n"]), int(counts["fans"]),
    )  # fmt: skip
