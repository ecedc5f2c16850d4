"""Each drop: sell-through, time to sell out, and its funnel (fans reached by campaign DMs
→ fans who tapped a link to it → fans who held a unit → fans who paid). Posts in channels
have no view counts, so reach is what Dropcast itself sent."""

from __future__ import annotations

from dataclasses import dataclass

from core import sql
from core.analytics.dialect import dm_link, minutes_between
from core.analytics.rollups import Fans, Rollup, totals

_DROPS = (
    'SELECT d.id AS id, d.title AS title, SUM(t.stock) AS stock FROM "drop" d '
    'JOIN "drop_tier" t ON t.drop_id = d.id WHERE d.opened_at IS NOT NULL '
    "GROUP BY d.id, d.title ORDER BY d.id"
)
# the minute the last unit went: the stock-th paid order of each drop
_SOLD_OUT = (
    "SELECT x.drop_id AS drop_id, x.m AS m FROM (SELECT t.drop_id AS drop_id, {minutes} AS m, "
    "ROW_NUMBER() OVER (PARTITION BY t.drop_id ORDER BY o.created_at, o.id) AS r "
    'FROM "order" o JOIN "drop_tier" t ON t.id = o.tier_id JOIN "drop" d ON d.id = t.drop_id '
    "WHERE o.status = 'paid') x JOIN (SELECT drop_id, SUM(stock) AS stock FROM \"drop_tier\" "
    "GROUP BY drop_id) s ON s.drop_id = x.drop_id AND x.r = s.stock"
)


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
        'JOIN "drop_tier" t ON t.id = o.tier_id '
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
    minutes = minutes_between("d.opened_at", "o.created_at")
    sold_out = {
        int(r["drop_id"]): round(float(r["m"]), 1)
        for r in await sql.rows(_SOLD_OUT.format(minutes=minutes))
    }
    reports = []
    for drop in await sql.rows(_DROPS):
        ref = int(drop["id"])
        reached, tapped, held, buyers, sold = funnels.get(ref, (0, 0, 0, 0, 0))
        reports.append(
            DropReport(
                ref, str(drop["title"]), int(drop["stock"]), sold, sold_out.get(ref),
                reached, tapped, held, buyers,
            )
        )  # fmt: skip
    return reports
