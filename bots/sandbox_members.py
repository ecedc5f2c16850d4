"""The sandbox's month of a membership, after its drop: ten of its fans join a plan (seven
through Stripe with a week's free trial, three with Telegram Stars), trials become paid,
one is cancelled before it ends, one fan's card fails when their trial ends (past due),
a Stars member cancels at the end of their period and a Stripe member at once. Each step
is the snapshot the provider would report, recorded by the real core; the month's figures
are then read as `dropcast stats` reads them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from adapters.memory import ManualClock
from adapters.unconfigured import UnconfiguredMembershipBilling
from core.analytics.member_value import period_start
from core.analytics.membership_figures import MemberFigures, member_figures
from core.app import Core
from core.kinds import PlanPeriod
from core.memberships.plans import PlanSpec
from core.memberships.states import Snapshot
from core.money import parse_price

DAYS = 30
TRIAL = timedelta(days=7)
STARS_PERIOD = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class SandboxBilling(UnconfiguredMembershipBilling):
    """Stripe Billing as the sandbox has it: the DMs its members get carry a portal link;
    joining and reading subscriptions stay refused (the month's script records the
    snapshots Stripe would report)."""

    setting: str = "STRIPE_SECRET_KEY"

    async def portal_link(self, subscription_ref: str) -> str:
        return f"https://billing.example/portal/{subscription_ref}"


@dataclass(frozen=True, slots=True)
class Joiner:
    fan_id: int
    day: int  # of the month, when they join
    stars: bool = False  # through Telegram Stars (no trial) rather than Stripe
    trial_outcome: str = "paid"  # paid | cancelled | card failed
    cancels_on: int | None = None  # a day they cancel: Stars at the period's end, Stripe at once


def joiners(fan_ids: list[int]) -> list[Joiner]:
    """The month's script, for the first ten fans (fewer if there are fewer)."""
    plan = [
        (0, False, "paid", None), (1, False, "paid", 18), (2, False, "cancelled", None),
        (4, False, "paid", None), (6, False, "paid", None), (9, False, "paid", None),
        (0, True, "paid", None), (3, True, "paid", 15), (5, True, "paid", None),
        (22, False, "card failed", None),
    ]  # fmt: skip
    return [Joiner(fan, *step) for fan, step in zip(fan_ids, plan, strict=False)]


async def membership_month(
    core: Core, clock: ManualClock, fan_ids: list[int], say: Callable[[str, str], None]
) -> MemberFigures:
    """Plays the month from the clock's time; `say(when, what)` tells each step."""
    plan = await core.plans.create(
        PlanSpec("Sandbox club", parse_price("5.00 EUR"), stars=250, trial_days=7)
    )
    say("day  0", f"🪪 {plan.name} on sale: 5.00 EUR a month (7 days free), or 250 Stars")
    first = clock.now()
    steps = [
        (at, words, j, snapshot)
        for j in joiners(fan_ids)
        for at, words, snapshot in _steps(j, first + timedelta(days=j.day, hours=10))
    ]
    for at, words, joiner, snapshot in sorted(steps, key=lambda step: step[0]):
        clock.set(at)
        provider = "telegram_stars" if joiner.stars else "stripe"
        ref = f"sandbox-{provider}-{joiner.fan_id}"
        await core.memberships.record(joiner.fan_id, plan.id, provider, ref, snapshot)
        say(f"day {(at - first).days:2d}", f"🪪 fan #{joiner.fan_id} {words}")
    clock.set(first + timedelta(days=DAYS))
    return await member_figures(clock.now())


Step = tuple[datetime, str, Snapshot]


def _steps(j: Joiner, joined: datetime) -> list[Step]:
    """What the provider reports of one member's month: (when, what it means, snapshot)."""
    if j.stars:
        period = (joined, joined + STARS_PERIOD)
        steps = [(joined, "joined with Stars", _snap("active", joined, joined, period))]
        if j.cancels_on is not None:
            when = joined + timedelta(days=j.cancels_on - j.day)
            cancelling = _snap("active", when, joined, period, cancel_at_period_end=True)
            steps.append((when, "cancelled: a member until the period ends", cancelling))
        return steps
    trial_end = joined + TRIAL
    trial = (joined, trial_end)
    steps = [(joined, "started a free trial", _snap("trialing", joined, joined, trial, trial_end))]
    paid = (trial_end, period_start(trial_end, 1, PlanPeriod.MONTHLY))
    if j.trial_outcome == "cancelled":
        asked = joined + timedelta(days=3)
        steps += [
            (asked, "cancelled the trial", _snap("trialing", asked, joined, trial, trial_end,
                                                cancel_at_period_end=True)),
            (trial_end, "trial ended unpaid", _snap("canceled", trial_end, joined, trial,
                                                   trial_end, ended_at=trial_end)),
        ]  # fmt: skip
    elif j.trial_outcome == "card failed":
        steps.append((trial_end, "card declined at the trial's end: past due",
                      _snap("past_due", trial_end, joined, paid, trial_end)))  # fmt: skip
    else:
        steps.append((trial_end, "paid after the trial",
                      _snap("active", trial_end, joined, paid, trial_end)))  # fmt: skip
    if j.cancels_on is not None and j.trial_outcome == "paid":
        when = joined + timedelta(days=j.cancels_on - j.day)
        steps.append((when, "cancelled at once",
                      _snap("canceled", when, joined, paid, trial_end, ended_at=when)))  # fmt: skip
    return steps


def _snap(
    status: str, as_of: datetime, started: datetime, period: tuple[datetime, datetime],
    trial_end: datetime | None = None, **more: object,
) -> Snapshot:  # fmt: skip
    return Snapshot(
        status, as_of=as_of, started_at=started, current_period_start=period[0],
        current_period_end=period[1], trial_end=trial_end, **more,  # type: ignore[arg-type]
    )  # fmt: skip
