"""Every membership figure the stats and the dashboard show, read together (the figures
are defined in core/analytics/members.py and core/analytics/member_value.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.analytics.member_value import DropRevenue, Ltv, drop_revenue, ltv
from core.analytics.members import (
    MemberMonth,
    Mrr,
    PlanMembers,
    Trials,
    member_months,
    members_per_plan,
    mrr,
    trials,
)


@dataclass(frozen=True, slots=True)
class MemberFigures:
    plans: list[PlanMembers]  # active members per plan, now
    mrr: list[Mrr]  # by currency
    months: list[MemberMonth]  # oldest first, the current month last
    trials: Trials
    drops: list[DropRevenue]  # members' drop revenue against non-members', by currency
    ltv: list[Ltv]  # 90-day LTV, members then one-time buyers

    @property
    def any(self) -> bool:
        """Whether there has ever been a membership."""
        return bool(self.months)


async def member_figures(now: datetime) -> MemberFigures:
    return MemberFigures(
        await members_per_plan(now), await mrr(now), await member_months(now),
        await trials(now), await drop_revenue(now), await ltv(now),
    )  # fmt: skip
