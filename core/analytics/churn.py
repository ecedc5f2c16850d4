"""Monthly churn: of the fans active in a month, how many were not active the month after.
Buyers are active in a month they paid for an order; members in a month they did anything
Dropcast sees (listened live, said they would come, held a unit, paid, tapped a campaign DM).
A month is judged once the month after it is over."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from core.analytics.dialect import dm_link, month_after, month_of
from core.analytics.rollups import Fans, Rollup, totals

# every trace of a member taking part, as (fan_id, month)
_TRACES = (
    ('"attendance"', "fan_id", "first_seen_at"),
    ('"rsvp"', "fan_id", "created_at"),
    ('"reservation"', "fan_id", "created_at"),
)


def taking_part(fans: Fans) -> str:
    """(fan_id, month) for every month a member did something, as one SELECT."""
    parts = [
        f"SELECT DISTINCT {fan} AS fan_id, {month_of(at)} AS month FROM {table} WHERE {fans(fan)}"
        for table, fan, at in _TRACES
    ]
    parts.append(
        f'SELECT DISTINCT x.fan_id AS fan_id, {month_of("c.at")} AS month FROM "delivery" x '
        f'JOIN "link" l ON {dm_link("l", "x")} JOIN "link_click" c ON c.link_id = l.id '
        f"WHERE {fans('x.fan_id')}"
    )
    return " UNION ".join(parts)


def buying(fans: Fans) -> str:
    """(fan_id, month) for every month a fan paid for an order."""
    return (
        f'SELECT DISTINCT fan_id, {month_of("created_at")} AS month FROM "order" '
        f"WHERE status = 'paid' AND {fans('fan_id')}"
    )


def _months(active: Callable[[Fans], str]) -> Callable[[Fans], str]:
    """Parts of a churn rollup: per fan and month they were active (the key), n1 = 1 and
    n2 = 1 if they were not active the month after."""

    def parts(fans: Fans) -> str:
        # the month after is a column, so the self-join is a plain equality (hashable)
        return (
            f"WITH a AS MATERIALIZED (SELECT fan_id, month, {month_after('month')} AS next "
            f"FROM ({active(fans)}) x) "
            "SELECT a.fan_id AS fan_id, a.month AS key, 1 AS n1, "
            "CASE WHEN n.fan_id IS NULL THEN 1 ELSE 0 END AS n2, 0 AS n3, 0 AS n4, 0 AS n5 "
            "FROM a LEFT JOIN a n ON n.fan_id = a.fan_id AND n.month = a.next"
        )

    return parts


BUYING = Rollup("buyer months", _months(buying))
TAKING_PART = Rollup("member months", _months(taking_part))


@dataclass(frozen=True, slots=True)
class MonthChurn:
    month: str  # YYYY-MM
    active: int  # fans active that month
    churned: int  # of them, fans not active the month after

    @property
    def rate(self) -> float:
        return round(self.churned / self.active, 3)


async def buyer_churn(now: datetime) -> list[MonthChurn]:
    return await _judged(BUYING, now)


async def member_churn(now: datetime) -> list[MonthChurn]:
    return await _judged(TAKING_PART, now)


async def _judged(rollup: Rollup, now: datetime) -> list[MonthChurn]:
    this_month = f"{now:%Y-%m}"
    return [
        MonthChurn(t.key, t.n[0], t.n[1])
        for t in await totals(rollup)
        if next_month(t.key) < this_month
    ]


def next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year + number // 12}-{number % 12 + 1:02d}"
