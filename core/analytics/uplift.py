"""Recognition uplift: do fans who reached a tier buy again more often than fans who did
not? Compared within each cohort of first-purchase month, so that long-time buyers are not
set against newcomers, then averaged over the cohorts by their size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.analytics.buyers import BUYERS
from core.analytics.churn import next_month
from core.analytics.rollups import totals

CAVEAT = (
    "Fans who reach a tier are also the most engaged, and buying earns points itself: the "
    "difference is an association, not proof that recognition caused it."
)


@dataclass(frozen=True, slots=True)
class Group:
    fans: int
    repeat: int

    @property
    def rate(self) -> float | None:
        return round(self.repeat / self.fans, 3) if self.fans else None


@dataclass(frozen=True, slots=True)
class CohortUplift:
    month: str  # of the first purchase, YYYY-MM
    crossed: Group  # fans whose tier is above the first
    others: Group


@dataclass(frozen=True, slots=True)
class Uplift:
    cohorts: list[CohortUplift]
    difference: float | None  # repeat rate, crossed minus others, weighted by cohort size
    caveat: str = CAVEAT


async def recognition_uplift(now: datetime) -> Uplift:
    """Cohorts count once the month after their first purchases is over: younger fans have
    not had the time to buy again."""
    groups: dict[str, dict[int, Group]] = {}
    for total in await totals(BUYERS):
        month, crossed = total.key.split("|")
        groups.setdefault(month, {})[int(crossed)] = Group(total.n[0], total.n[1])
    cohorts = [
        CohortUplift(month, found.get(1, Group(0, 0)), found.get(0, Group(0, 0)))
        for month, found in groups.items()
        if next_month(month) < f"{now:%Y-%m}"
    ]
    return Uplift(cohorts, weighted_difference(cohorts))


def weighted_difference(cohorts: list[CohortUplift]) -> float | None:
    """The difference of rates between the two sides, each cohort weighted by its size
    (core/perk_tokens/comeback.py weighs its token sets the same way)."""
    compared = [c for c in cohorts if c.crossed.fans and c.others.fans]
    size = sum(c.crossed.fans + c.others.fans for c in compared)
    if not size:
        return None
    total = sum(
        (c.crossed.fans + c.others.fans)
        * (c.crossed.repeat / c.crossed.fans - c.others.repeat / c.others.fans)
        for c in compared
    )
    return round(total / size, 3)
