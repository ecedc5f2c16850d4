"""Buyers over time: the repeat-buyer rate and 90-day LTV by cohort of first-purchase week
(revenue per fan within 7, 30, 60 and 90 days of their first order). Refunded and disputed
orders do not count; each currency is its own row, since amounts do not add across them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core import sql
from core.analytics.dialect import minutes_between, soon_after, week_of

WINDOWS = (7, 30, 60, 90)  # days after each fan's first order

_FIRST = (
    "SELECT fan_id, MIN(created_at) AS first_at FROM \"order\" WHERE status = 'paid' "
    "GROUP BY fan_id"
)
_REPEAT = (
    "SELECT COUNT(*) AS buyers, COALESCE(SUM(CASE WHEN n > 1 THEN 1 ELSE 0 END), 0) AS repeat "
    "FROM (SELECT fan_id, COUNT(*) AS n FROM \"order\" WHERE status = 'paid' GROUP BY fan_id) x"
)


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
    [row] = await sql.rows(_REPEAT)
    return RepeatRate(int(row["buyers"]), int(row["repeat"]))


async def cohorts(now: datetime) -> list[Cohort]:
    days = f"({minutes_between('f.first_at', 'o.created_at')} / 1440.0)"
    sums = ", ".join(
        f"SUM(CASE WHEN {days} < {n} THEN o.amount_minor ELSE 0 END) AS d{n}" for n in WINDOWS
    )
    week = week_of("f.first_at")
    rows = await sql.rows(
        f"SELECT {week} AS week, o.currency AS currency, COUNT(DISTINCT f.fan_id) AS fans, "
        f'{sums} FROM ({_FIRST}) f JOIN "order" o ON o.fan_id = f.fan_id '
        # orders past the longest window count in none: the index skips them
        f"AND o.created_at <= {soon_after('f.first_at', WINDOWS[-1] * 1440)} "
        f"AND o.status = 'paid' GROUP BY {week}, o.currency ORDER BY 1, 2"
    )
    found = []
    for row in rows:
        monday = date.fromisoformat(str(row["week"]))
        last_first = datetime.combine(monday, datetime.min.time(), now.tzinfo) + timedelta(days=7)
        fans = int(row["fans"])
        per_fan = {
            n: round(int(row[f"d{n}"]) / fans) if last_first + timedelta(days=n) <= now else None
            for n in WINDOWS
        }
        found.append(Cohort(monday, str(row["currency"]), fans, per_fan))
    return found
