"""Monthly churn: of the fans active in a month, how many were not active the month after.
Buyers are active in a month they paid for an order; members in a month they did anything
Dropcast sees (listened live, said they would come, held a unit, paid, tapped a campaign DM).
A month is judged once the month after it is over."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core import sql
from core.analytics.dialect import DELIVERY_OF_LINK, month_after, month_of

# every trace of a member taking part, as (fan_id, month)
_TRACES = (
    ('"attendance"', "fan_id", "first_seen_at"),
    ('"rsvp"', "fan_id", "created_at"),
    ('"reservation"', "fan_id", "created_at"),
)
_DM_TAPS = (
    'SELECT DISTINCT x.fan_id AS fan_id, {month} AS month FROM "link_click" c '
    "JOIN \"link\" l ON l.id = c.link_id AND l.purpose = 'delivery' "
    f'JOIN "delivery" x ON x.id = {DELIVERY_OF_LINK}'
)


def taking_part() -> str:
    """(fan_id, month) for every month a member did something, as one SELECT."""
    parts = [
        f"SELECT DISTINCT {fan} AS fan_id, {month_of(at)} AS month FROM {table}"
        for table, fan, at in _TRACES
    ]
    parts.append(_DM_TAPS.format(month=month_of("c.at")))
    return " UNION ".join(parts)


@dataclass(frozen=True, slots=True)
class MonthChurn:
    month: str  # YYYY-MM
    active: int  # fans active that month
    churned: int  # of them, fans not active the month after

    @property
    def rate(self) -> float:
        return round(self.churned / self.active, 3)


async def monthly_churn(active: str, now: datetime) -> list[MonthChurn]:
    """`active` selects (fan_id, month) pairs, each once."""
    rows = await sql.rows(
        # the month after is a column, so the self-join is a plain equality (hashable)
        f"WITH a AS MATERIALIZED (SELECT fan_id, month, {month_after('month')} AS next "
        f"FROM ({active}) x) "
        "SELECT a.month AS month, COUNT(*) AS active, "
        "SUM(CASE WHEN n.fan_id IS NULL THEN 1 ELSE 0 END) AS churned "
        "FROM a LEFT JOIN a n ON n.fan_id = a.fan_id AND n.month = a.next "
        "GROUP BY a.month ORDER BY a.month"
    )
    this_month = f"{now:%Y-%m}"
    return [
        MonthChurn(str(r["month"]), int(r["active"]), int(r["churned"]))
        for r in rows
        if next_month(str(r["month"])) < this_month
    ]


def buying() -> str:
    """(fan_id, month) for every month a fan paid for an order."""
    return (
        f'SELECT DISTINCT fan_id, {month_of("created_at")} AS month FROM "order" '
        "WHERE status = 'paid'"
    )


async def buyer_churn(now: datetime) -> list[MonthChurn]:
    return await monthly_churn(buying(), now)


async def member_churn(now: datetime) -> list[MonthChurn]:
    return await monthly_churn(taking_part(), now)


def next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year + number // 12}-{number % 12 + 1:02d}"
