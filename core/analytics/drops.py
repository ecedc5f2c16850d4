"""Each drop: sell-through, time to sell out, and its funnel (fans reached by campaign DMs
→ fans who tapped a link to it → fans who held a unit → fans who paid). Posts in channels
have no view counts, so reach is what Dropcast itself sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.analytics.dialect import dm_link
from core.analytics.rollups import Fans, Rollup, totals
from core.kinds import OrderStatus
from core.models import Drop, Order


def _funnel_parts(fans: Fans) -> str:
    """Per fan and drop (the key): n1 reached by a campaign DM, n2 tapped a link to it (the
    DM's, or their own pay link), n3 held a unit, n4 paid (each 1 or 0), n5 orders paid."""
    steps = (
        "SELECT x.fan_id AS fan_id, c.drop_id AS drop_id, 1 AS n1, 0 AS n2, 0 AS n3, 0 AS n4, "
        '0 AS n5 FROM "delivery" x JOIN "campaign" c ON c.id = x.campaign_id '
        f"WHERE x.status = 'sent' AND c.drop_id IS NOT NULL AND {fans('x.fan_id')} "
        'UNION ALL SELECT x.fan_id, c.drop_id, 0, 1, 0, 0, 0 FROM "delivery" x '
        'JOIN "campaign" c ON c.id = x.campaign_id '
        f'JOIN "link" l ON {dm_link("l", "x")} '
        f"WHERE l.clicks > 0 AND c.drop_id IS NOT NULL AND {fans('x.fan_id')} "
        'UNION ALL SELECT r.fan_id, t.drop_id, 0, 1, 0, 0, 0 FROM "reservation" r '
        'JOIN "drop_tier" t ON t.id = r.tier_id '
        "JOIN \"link\" l ON l.purpose = 'pay' AND l.ref = CAST(r.id AS VARCHAR(64)) "
        f"WHERE l.clicks > 0 AND {fans('r.fan_id')} "
        'UNION ALL SELECT r.fan_id, t.drop_id, 0, 0, 1, 0, 0 FROM "reservation" r '
        f'JOIN "drop_tier" t ON t.id = r.tier_id WHERE {fans("r.fan_id")} '
        'UNION ALL SELECT o.fan_id, t.drop_id, 0, 0, 0, 1, 1 FROM "order" o '
        # the unary plus keeps SQLite from walking every paid order of every tier, where the
        # fans' own orders are a few
        'JOIN "drop_tier" t ON t.id = +o.tier_id '
        f"WHERE o.status = 'paid' AND {fans('o.fan_id')}"
    )
    return (
        "SELECT fan_id, CAST(drop_id AS VARCHAR(20)) AS key, MAX(n1) AS n1, MAX(n2) AS n2, "
        f"MAX(n3) AS n3, MAX(n4) AS n4, SUM(n5) AS n5 FROM ({steps}) s GROUP BY fan_id, drop_id"
    )


FUNNELS = Rollup("drop funnels", _funnel_parts)


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
    funnels = {int(t.key): t.n for t in await totals(FUNNELS)}
    reports = []
    for drop in await Drop.filter(opened_at__isnull=False).order_by("id").prefetch_related("tiers"):
        reached, tapped, held, buyers, sold = funnels.get(drop.id, (0, 0, 0, 0, 0))
        stock = sum(t.stock for t in drop.tiers)
        reports.append(
            DropReport(
                drop.id, drop.title, stock, sold,
                await _minutes_to_sell_out(drop, stock) if sold >= stock else None,
                reached, tapped, held, buyers,
            )
        )  # fmt: skip
    return reports


async def _minutes_to_sell_out(drop: Drop, stock: int) -> float | None:
    """Minutes from the opening to the stock-th paid order (of a drop that sold its stock).
    The stock-th of the drop is among the first `stock` of each tier, which its index
    gives."""
    if drop.opened_at is None or not stock:
        return None
    paid: list[tuple[datetime, int]] = []
    for tier in drop.tiers:
        paid += await (
            Order.filter(tier_id=tier.id, status=OrderStatus.PAID)
            .order_by("created_at", "id")
            .limit(stock)
            .values_list("created_at", "id")
        )
    if len(paid) < stock:
        return None
    last, _ = sorted(paid)[stock - 1]
    return round((last - drop.opened_at).total_seconds() / 60, 1)
