"""A creator's weeks, simulated from known parameters with a seeded random generator: weekly
30-minute live sessions, a 50-unit drop featured every second week, fans who listen, hold,
pay or let holds lapse, return or stop buying, and a campaign A/B test with a real
difference. The simulation also works out, on its own, what the metrics should say (its
truth), so tests can hold the database's answers against it."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from bots.demo.memberships import (
    Member,
    MemberParams,
    churn_truth,
    simulate_members,
    trial_truth,
)
from core.analytics.buyers import WINDOWS
from core.analytics.churn import next_month
from core.recognition import Rules


@dataclass(frozen=True, slots=True)
class Params:
    seed: int = 7
    fans: int = 3000
    weeks: int = 12
    opted_in: float = 0.6  # share of fans who said yes to DMs
    attendance: tuple[float, float] = (2.0, 6.0)  # Beta(a, b) of each fan's listening habit
    lag_mean_minutes: float = 12.0  # exponential: buyers pay this long after going live
    new_buyer: float = 0.03  # a listener who never bought buys at a drop's session
    repeat: float = 0.35  # an earlier buyer who still buys buys again at a drop
    recognised_boost: float = 0.25  # added to `repeat` once the fan has reached a tier
    quit_per_drop: float = 0.15  # an earlier buyer stops buying for good, at each drop
    lapse: float = 0.15  # a fan who holds lets the hold lapse instead of paying
    stock: int = 50
    price_minor: int = 2500
    currency: str = "EUR"
    pack_price_minor: int = 500  # the digital pack the campaign promotes
    pack_stock: int = 1000
    tap: float = 0.2  # a fan who got the campaign DM taps its link
    buy_after_tap: tuple[float, float] = (0.15, 0.4)  # variant A, variant B
    members: MemberParams = field(default_factory=MemberParams)  # bots/demo/memberships.py


@dataclass(frozen=True, slots=True)
class Session:
    id: int
    title: str
    started_at: datetime
    drop_id: int | None


@dataclass(frozen=True, slots=True)
class Drop:
    id: int
    title: str
    opened_at: datetime
    stock: int
    price_minor: int
    kind: str
    sold: int = 0


@dataclass(frozen=True, slots=True)
class Hold:
    id: int
    drop_id: int
    fan_id: int
    at: datetime
    paid: bool
    tapped: bool  # tapped their pay link


@dataclass(frozen=True, slots=True)
class Listen:
    session_id: int
    fan_id: int
    at: datetime
    minutes: int


@dataclass(frozen=True, slots=True)
class Dm:
    id: int
    fan_id: int
    variant: str
    sent_at: datetime
    tapped_at: datetime | None


@dataclass
class Truth:
    """What the metrics should say, counted by the simulation itself."""

    lag_median: float  # the exponential's median, mean times ln 2
    lag_p90: float  # mean times ln 10
    realised_lag_median: float | None = None
    buyers: int = 0
    repeat_buyers: int = 0
    buyer_churn: dict[str, tuple[int, int]] = field(default_factory=dict)  # month: active, gone
    member_churn: dict[str, tuple[int, int]] = field(default_factory=dict)
    sold: dict[int, int] = field(default_factory=dict)  # drop id: units paid
    held: dict[int, int] = field(default_factory=dict)  # drop id: fans who held
    # first-purchase week (Monday): {window in days: revenue per fan, None if not over}
    ltv: dict[date, dict[int, int | None]] = field(default_factory=dict)
    campaign_winner: str = "B"
    # the membership plan's: month (UTC, over): paying members at its start, churned in it
    membership_churn: dict[str, tuple[int, int]] = field(default_factory=dict)
    membership_churn_rate: float = 0.0  # what a paying member's renewal is cancelled with
    trials: tuple[int, int] = (0, 0)  # trials over, of them became paid


@dataclass
class Plan:
    params: Params
    start: datetime
    now: datetime
    sessions: list[Session] = field(default_factory=list)
    drops: list[Drop] = field(default_factory=list)
    listens: list[Listen] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)
    orders: list[tuple[int, datetime]] = field(default_factory=list)  # hold id, paid at
    dms: list[Dm] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    points: dict[int, list[tuple[str, str, int, datetime]]] = field(default_factory=dict)
    opted_in: set[int] = field(default_factory=set)
    truth: Truth | None = None


def simulate(params: Params, now: datetime, rules: Rules | None = None) -> Plan:
    """The weeks before `now`, from the Monday `params.weeks` weeks back."""
    rules = rules or Rules()
    rnd = random.Random(params.seed)
    monday = (now - timedelta(weeks=params.weeks)).date()
    monday -= timedelta(days=monday.weekday())
    start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    plan = Plan(params, start, now)
    fans = range(1, params.fans + 1)
    habit = {fan: rnd.betavariate(*params.attendance) for fan in fans}
    plan.opted_in = {fan for fan in fans if rnd.random() < params.opted_in}
    buyers_still_buying: set[int] = set()
    earned: dict[int, int] = dict.fromkeys(fans, 0)
    for week in range(params.weeks):
        live_at = start + timedelta(weeks=week, days=3, hours=18)
        drop_id = None
        if week % 2 == 0:
            drop_id = len(plan.drops) + 1
            plan.drops.append(
                Drop(drop_id, f"Drop {drop_id}", live_at, params.stock, params.price_minor,
                     "physical")
            )  # fmt: skip
        session = Session(week + 1, f"Week {week + 1} live", live_at, drop_id)
        plan.sessions.append(session)
        listeners = [fan for fan in fans if rnd.random() < habit[fan]]
        for fan in listeners:
            minutes = rnd.randint(1, 30)
            plan.listens.append(Listen(session.id, fan, live_at, minutes))
            _award(plan, earned, fan, "minutes", f"live:{session.id}", min(minutes, 40), live_at)
        if drop_id is not None:
            _sell(plan, rnd, rules, earned, drop_id, live_at, listeners, buyers_still_buying)
    _campaign(plan, rnd, start + timedelta(weeks=params.weeks - 1, hours=12))
    plan.members = simulate_members(params.seed, params.fans, start, now, params.members)
    plan.truth = _truth(plan)
    return plan


def _sell(
    plan: Plan,
    rnd: random.Random,
    rules: Rules,
    earned: dict[int, int],
    drop_id: int,
    live_at: datetime,
    listeners: list[int],
    still_buying: set[int],
) -> None:
    """A drop featured on air: fans decide, the fastest `stock` payers get the units."""
    p = plan.params
    for fan in list(still_buying):
        if rnd.random() < p.quit_per_drop:
            still_buying.discard(fan)
    wanting = set()
    for fan in still_buying:
        recognised = earned[fan] >= min(rules.thresholds.values())
        if rnd.random() < p.repeat + (p.recognised_boost if recognised else 0.0):
            wanting.add(fan)
    bought_before = {h.fan_id for h in plan.holds if h.paid}
    for fan in listeners:
        if fan not in bought_before and rnd.random() < p.new_buyer:
            wanting.add(fan)
    arrivals = sorted(
        (live_at + timedelta(minutes=rnd.expovariate(1 / p.lag_mean_minutes)), fan)
        for fan in sorted(wanting)
    )
    sold = 0
    for at, fan in arrivals:
        if sold >= p.stock:
            break
        paid = rnd.random() >= p.lapse
        hold = Hold(len(plan.holds) + 1, drop_id, fan, at - timedelta(minutes=1), paid,
                    tapped=rnd.random() < 0.9)  # fmt: skip
        plan.holds.append(hold)
        if paid:
            sold += 1
            plan.orders.append((hold.id, at))
            still_buying.add(fan)
            if sold <= rules.first_buyers:
                source = f"drop:{drop_id}"
                _award(plan, earned, fan, "early_buyer", source, rules.first_buyer_points, at)


def _campaign(plan: Plan, rnd: random.Random, sent_at: datetime) -> None:
    """A digital pack promoted by DM to every opted-in fan, variant B converting better."""
    p = plan.params
    drop_id = len(plan.drops) + 1
    plan.drops.append(
        Drop(drop_id, "Sample pack", sent_at, p.pack_stock, p.pack_price_minor, "digital")
    )
    for fan in sorted(plan.opted_in):
        variant = "AB"[rnd.random() < 0.5]
        tapped = sent_at + timedelta(minutes=rnd.randint(1, 120)) if rnd.random() < p.tap else None
        dm = Dm(len(plan.dms) + 1, fan, variant, sent_at, tapped)
        plan.dms.append(dm)
        if tapped and rnd.random() < p.buy_after_tap[variant == "B"]:
            hold = Hold(len(plan.holds) + 1, drop_id, fan, tapped, True, tapped=True)
            plan.holds.append(hold)
            plan.orders.append((hold.id, tapped + timedelta(minutes=2)))


def _award(
    plan: Plan, earned: dict[int, int], fan: int, reason: str, source: str, points: int,
    at: datetime,
) -> None:  # fmt: skip
    plan.points.setdefault(fan, []).append((reason, source, points, at))
    earned[fan] += points


def _truth(plan: Plan) -> Truth:
    p = plan.params
    truth = Truth(round(p.lag_mean_minutes * math.log(2), 1),
                  round(p.lag_mean_minutes * math.log(10), 1))  # fmt: skip
    holds = {h.id: h for h in plan.holds}
    paid = [(holds[hold_id], at) for hold_id, at in plan.orders]
    per_fan: dict[int, int] = {}
    for hold, _ in paid:
        per_fan[hold.fan_id] = per_fan.get(hold.fan_id, 0) + 1
        truth.sold[hold.drop_id] = truth.sold.get(hold.drop_id, 0) + 1
    truth.buyers = len(per_fan)
    truth.repeat_buyers = sum(1 for n in per_fan.values() if n > 1)
    starts = [s.started_at for s in plan.sessions]
    lags = sorted(
        (at - start).total_seconds() / 60
        for _, at in paid
        for start in starts
        if start <= at <= start + timedelta(hours=24)
    )
    if lags:
        truth.realised_lag_median = round(lags[max(1, math.ceil(len(lags) / 2)) - 1], 1)
    buying = {(h.fan_id, f"{at:%Y-%m}") for h, at in paid}
    taking_part = (
        {(listen.fan_id, f"{listen.at:%Y-%m}") for listen in plan.listens}
        | {(h.fan_id, f"{h.at:%Y-%m}") for h in plan.holds}
        | {(dm.fan_id, f"{dm.tapped_at:%Y-%m}") for dm in plan.dms if dm.tapped_at}
    )
    for drop_id in {h.drop_id for h in plan.holds}:
        truth.held[drop_id] = len({h.fan_id for h in plan.holds if h.drop_id == drop_id})
    truth.ltv = _ltv(plan, paid)
    truth.buyer_churn = _churn(buying, plan.now)
    truth.member_churn = _churn(taking_part, plan.now)
    truth.membership_churn = churn_truth(plan.members, plan.now)
    truth.membership_churn_rate = p.members.churn
    truth.trials = trial_truth(plan.members, plan.now)
    return truth


def _ltv(plan: Plan, paid: list[tuple[Hold, datetime]]) -> dict[date, dict[int, int | None]]:
    """Revenue per fan within each window of their first order, by its week."""
    prices = {d.id: d.price_minor for d in plan.drops}
    first: dict[int, datetime] = {}
    for hold, at in paid:
        first[hold.fan_id] = min(at, first.get(hold.fan_id, at))
    weeks: dict[date, list[int]] = {}
    for fan, at in first.items():
        weeks.setdefault((at - timedelta(days=at.weekday())).date(), []).append(fan)
    ltv = {}
    for monday, fans in sorted(weeks.items()):
        cohort_end = datetime(monday.year, monday.month, monday.day, tzinfo=UTC) + timedelta(7)
        ltv[monday] = {
            n: round(
                sum(prices[h.drop_id] for h, at in paid
                    if h.fan_id in fans and at - first[h.fan_id] < timedelta(days=n))
                / len(fans)
            ) if cohort_end + timedelta(days=n) <= plan.now else None
            for n in WINDOWS
        }  # fmt: skip
    return ltv


def _churn(active: set[tuple[int, str]], now: datetime) -> dict[str, tuple[int, int]]:
    months = sorted({month for _, month in active})
    judged = {}
    for month in months:
        after = next_month(month)
        if next_month(after) > f"{now:%Y-%m}":
            continue  # the month after is not over yet
        fans = {fan for fan, m in active if m == month}
        back = {fan for fan, m in active if m == after}
        judged[month] = (len(fans), len(fans - back))
    return judged
