"""The simulated creator's membership plan: a monthly plan with a free trial, launched half a
year before the simulated weeks (a rush of trials in its first two weeks, then a trickle),
so that the weeks show its churn settled; paying
members cancel at each monthly renewal with a known probability (the seed's "churn
stabilized at 6% monthly"), and some of whom come back later. Drawn from its own seeded
generator, so the rest of the simulation is the same with or without it."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.analytics.member_value import period_start
from core.analytics.members import months_between
from core.kinds import PlanPeriod


@dataclass(frozen=True, slots=True)
class MemberParams:
    price_minor: int = 500  # a month, in the simulation's currency
    trial_days: int = 7
    weeks_before: int = 26  # the plan was launched this long before the simulated weeks
    at_launch: float = 0.12  # share of fans who start a trial in the plan's first two weeks
    joining: float = 0.004  # a fan who never was a member starts a trial, each later week
    converts: float = 0.7  # a trial becomes paid
    churn: float = 0.06  # a paying member cancels at a monthly renewal
    comes_back: float = 0.2  # a member who cancelled joins again (no trial) 1 to 5 weeks on


@dataclass(frozen=True, slots=True)
class Member:
    """One simulated membership, as it stands at the simulation's `now`."""

    id: int
    fan_id: int
    started_at: datetime
    trial_end: datetime | None
    ended_at: datetime | None  # None: still a member now
    period: tuple[datetime, datetime]  # the current (or last) period: start, end

    @property
    def paying_from(self) -> datetime:
        return self.trial_end or self.started_at


def simulate_members(
    seed: int, fans: int, start: datetime, now: datetime, p: MemberParams
) -> list[Member]:
    rnd = random.Random(f"memberships {seed}")
    members: list[Member] = []
    joined: set[int] = set()
    week = timedelta(weeks=1)
    joins: list[tuple[datetime, int]] = []
    launched = start - p.weeks_before * week
    for fan in range(1, fans + 1):
        if rnd.random() < p.at_launch:
            joins.append((launched + rnd.random() * 2 * week, fan))
            joined.add(fan)
    moment = launched + 2 * week
    while moment < now:
        for fan in range(1, fans + 1):
            if fan not in joined and rnd.random() < p.joining:
                joins.append((moment + rnd.random() * week, fan))
                joined.add(fan)
        moment += week
    for at, fan in sorted(joins):
        trial = True
        while at < now:
            member = _membership(rnd, p, len(members) + 1, fan, at.replace(microsecond=0), now,
                                 trial)  # fmt: skip
            members.append(member)
            paid = member.ended_at is None or member.ended_at > member.paying_from
            if member.ended_at is None or not paid or rnd.random() >= p.comes_back:
                break
            at, trial = member.ended_at + rnd.uniform(1, 5) * week, False
    return members


def _membership(
    rnd: random.Random, p: MemberParams, number: int, fan: int, started: datetime,
    now: datetime, trial: bool,
) -> Member:  # fmt: skip
    trial_end = started + timedelta(days=p.trial_days) if trial else None
    if trial_end is not None and trial_end <= now and rnd.random() >= p.converts:
        return Member(number, fan, started, trial_end, trial_end, (started, trial_end))
    if trial_end is not None and trial_end > now:
        return Member(number, fan, started, trial_end, None, (started, trial_end))
    paying_from = trial_end or started
    n = 0
    while True:  # each renewal that has come: the member cancels at it, or pays again
        renewal = period_start(paying_from, n + 1, PlanPeriod.MONTHLY)
        this_period = (period_start(paying_from, n, PlanPeriod.MONTHLY), renewal)
        if renewal > now:
            return Member(number, fan, started, trial_end, None, this_period)
        if rnd.random() < p.churn:
            return Member(number, fan, started, trial_end, renewal, this_period)
        n += 1


def churn_truth(members: list[Member], now: datetime) -> dict[str, tuple[int, int]]:
    """Month (UTC, over by `now`): paying members at its start, of them and of members who
    began paying within it those who stopped within it (core/analytics/members.py)."""
    if not members:
        return {}
    found = {}
    for label, start, end in months_between(min(m.started_at for m in members), now):
        if end > now:
            continue
        paying = [m for m in members if m.ended_at is None or m.ended_at > m.paying_from]
        at_start = sum(1 for m in paying if m.paying_from <= start and _after(m, start))
        churned = sum(1 for m in paying if m.ended_at and start <= m.ended_at < end)
        found[label] = (at_start, churned)
    return found


def trial_truth(members: list[Member], now: datetime) -> tuple[int, int]:
    """Trials over by `now`, and of them those that became paid."""
    over = [m for m in members if m.trial_end is not None and m.trial_end <= now]
    return len(over), sum(1 for m in over if _after(m, m.paying_from))


def _after(member: Member, moment: datetime) -> bool:
    return member.ended_at is None or member.ended_at > moment
