"""Buyers over time: the repeat-buyer rate and 90-day LTV by cohort of first-purchase week
(revenue per fan within 7, 30, 60 and 90 days of their first order). Refunded and disputed
orders do not count; each currency is its own row, since amounts do not add across them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.analytics.dialect import minutes_between, month_of, soon_after, week_of
from core.analytics.rollups import Fans, Rollup, totals

WINDOWS = (7, 30, 60, 90)  # days after each fan's first order


def _first_orders(fans: Fans, count: str = "") -> str:
    """Each picked fan's first paid order (and more columns, such as a count)."""
    return (
        f'SELECT fan_id, MIN(created_at) AS first_at{count} FROM "order" '
        f"WHERE status = 'paid' AND {fans('fan_id')} GROUP BY fan_id"
    )


def _buyer_parts(fans: Fans) -> str:
    """Per buyer: the month of their first order and whether they reached a tier (the key,
    as "YYYY-MM|0" or "|1"), n1 = 1 buyer, n2 = 1 if they bought more than once."""
    return (
        f"SELECT f.fan_id AS fan_id, {month_of('f.first_at')} || '|' || "
        "CASE WHEN fan.tier = 'fan' THEN '0' ELSE '1' END AS key, 1 AS n1, "
        "CASE WHEN f.n > 1 THEN 1 ELSE 0 END AS n2, 0 AS n3, 0 AS n4, 0 AS n5 "
        f'FROM ({_first_orders(fans, ", COUNT(*) AS n")}) f JOIN "fan" fan ON fan.id = f.fan_id'
    )


def _cohort_parts(fans: Fans) -> str:
    """Per fan and currency: the week of their first order and the currency (the key, as
    "YYYY-MM-DD|EUR"), n1 = 1 fan, n2 … n5 = revenue within each window."""
    days = f"({minutes_between('f.first_at', 'o.created_at')} / 1440.0)"
    sums = ", ".join(
        f"SUM(CASE WHEN {days} < {n} THEN o.amount_minor ELSE 0 END) AS n{i}"
        for i, n in enumerate(WINDOWS, start=2)
    )
    week = week_of("f.first_at")
    return (
        f"SELECT f.fan_id AS fan_id, {week} || '|' || o.currency AS key, 1 AS n1, {sums} "
        f'FROM ({_first_orders(fans)}) f JOIN "order" o ON o.fan_id = f.fan_id '
        # orders past the longest window count in none: the index skips them
        f"AND o.created_at <= {soon_after('f.first_at', WINDOWS[-1] * 1440)} "
        f"AND o.status = 'paid' GROUP BY f.fan_id, {week}, o.currency"
    )


BUYERS = Rollup("buyers", _buyer_parts)
COHORTS = Rollup("cohorts", _cohort_parts)


@dataclass(frozen=True, slots=True)
class RepeatRate:
    buyers: int
    repeat_buyers: int

    @property
    def rate(self) -> float | None:
        return round(self.repeat_buyers / self.buyers, 3) if self.buyers else None


@dataclass(frozen=True, slots=True)
class Cohort:
    week: date  # the Monday of the first purchases' week
    currency: str
    fans: int
    per_fan: dict[int, int | None]  # window in days → minor units per fan; None: not over yet


async def repeat_rate() -> RepeatRate:
    found = await totals(BUYERS)
    return RepeatRate(sum(t.n[0] for t in found), sum(t.n[1] for t in found))


async def cohorts(now: datetime) -> list[Cohort]:
    found = []
    for total in await totals(COHORTS):
        week, currency = total.key.split("|")
        monday = date.fromisoformat(week)
        last_first = datetime.combine(monday, datetime.min.time(), now.tzinfo) + timedelta(days=7)
        fans = total.n[0]
        per_fan = {
            n: round(revenue / fans) if last_first + timedelta(days=n) <= now else None
            for n, revenue in zip(WINDOWS, total.n[1:], strict=True)
        }
        found.append(Cohort(monday, currency, fans, per_fan))
    return found
