"""The sandbox's month of a membership (bots/sandbox_members.py) on the real core, on both
databases: its figures are what the script makes them, worked out here. The month starts
on 1 January 2026 at noon (the test clock) and is read on the 31st at noon."""

from __future__ import annotations

from bots.sandbox_members import membership_month
from core.analytics.members import MemberMonth, Mrr
from tests.builders import fans


async def test_a_month_of_sign_ups_a_failed_card_and_cancellations(world):
    said: list[str] = []
    found = await membership_month(
        world.core, world.clock, await fans(10), lambda when, what: said.append(what)
    )
    assert any("card declined" in line for line in said)
    [club] = found.plans
    # 1, 4, 5, 6 paid after their trials, 7 and 9 pay Stars, 8 is cancelling, 10 past due
    assert (club.members, club.trialing, club.past_due, club.cancelling) == (8, 0, 1, 1)
    assert found.mrr == [Mrr("EUR", 2500, members=5), Mrr("XTR", 750, members=3)]
    # 2 cancelled at once on day 18, after paying; 3's trial ended unpaid: no churn
    assert found.months == [
        MemberMonth("2026-01", paying_at_start=0, new=10, reactivated=0, churned=1, over=False)
    ]
    # seven trials over: 3 cancelled its own, 10's card failed at its end
    assert (found.trials.ended, found.trials.converted) == (7, 5)
