"""What members are worth: their revenue from drops against non-members', and the 90-day
LTV of members against one-time buyers (fans who never held a membership).

A paid order is a **member's** when its buyer was a member (core/analytics/members.py: from
the start of a membership, trial included, until it stopped) at the moment it was paid.

**90-day LTV**: what a fan paid within 90 days, per fan, by currency, among the fans who
paid anything in that currency. A member's 90 days begin when their first membership
began, and count their drop orders and their membership payments; a one-time buyer's begin
at their first paid order, and count their orders (the 90-day column of the cohorts table,
core/analytics/buyers.py). Only fans whose 90 days are over count: members whose first
membership began 90 days ago or more, buyers whose first-purchase week ended that long ago.

**Membership payments are not stored**: a Stripe invoice or a Stars renewal changes the
membership's state only. They are estimated from the periods paid: a payment at the start
of each period from the end of the trial (a monthly plan's periods are calendar months
from that day, a yearly plan's years, Telegram Stars' 30 days) until the membership
stopped, at the plan's current price (Stars: its Stars per 30 days, in XTR). A renewal
that failed and is still being retried counts as paid."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core import sql
from core.analytics.buyers import COHORTS, WINDOWS
from core.analytics.members import PAYING_FROM, STOPPED, utc_moment
from core.analytics.rollups import up_to_date
from core.kinds import PlanPeriod, SubscriptionProvider
from core.money import STARS

DAYS = 90
STARS_PERIOD = timedelta(days=30)  # Telegram's only subscription period
assert WINDOWS[-1] == DAYS  # the cohorts' last window is the one read here (n5)

# the buyer of order `o` was a member when it was paid
_MEMBER_AT_ORDER = (
    '"membership" m WHERE m.fan_id = o.fan_id AND m.started_at <= o.created_at '
    f"AND ({STOPPED} IS NULL OR {STOPPED} > o.created_at)"
)
_DROP_REVENUE = (
    "SELECT o.currency AS currency, "
    f"CASE WHEN EXISTS (SELECT 1 FROM {_MEMBER_AT_ORDER}) THEN 1 ELSE 0 END AS member, "
    "COUNT(*) AS orders, COUNT(DISTINCT o.fan_id) AS buyers, "
    "SUM(o.amount_minor) AS minor FROM \"order\" o WHERE o.status = 'paid' "
    "GROUP BY 1, 2 ORDER BY 1, 2"
)
# each member's first membership's start, for members whose 90 days are over
_FIRSTS = (
    'SELECT fan_id, MIN(started_at) AS first_at FROM "membership" GROUP BY fan_id '
    "HAVING MIN(started_at) <= {judged_before}"
)
_MEMBERS_DROPS = (
    f"SELECT f.fan_id AS fan_id, o.currency AS currency, SUM(o.amount_minor) AS minor FROM "
    f"({_FIRSTS}) f JOIN \"order\" o ON o.fan_id = f.fan_id AND o.status = 'paid' "
    "AND o.created_at >= f.first_at "
    f"AND {{DAYS}}o.created_at{{IN_DAYS}} < {{DAYS}}f.first_at{{IN_DAYS}} + {DAYS} "
    "GROUP BY f.fan_id, o.currency"
)
_MEMBERS_PLANS = (
    f"SELECT m.fan_id AS fan_id, f.first_at AS first_at, {PAYING_FROM} AS paying_from, "
    f"{STOPPED} AS stopped_at, m.provider AS provider, p.period AS period, "
    "p.price_minor AS price_minor, p.currency AS currency, p.stars_per_30_days AS stars "
    f'FROM ({_FIRSTS}) f JOIN "membership" m ON m.fan_id = f.fan_id '
    'JOIN "membership_plan" p ON p.id = m.plan_id'
)
# the cohorts' parts (per fan and currency) of fans who never held a membership
_BUYERS_PARTS = (
    f'SELECT key, SUM(n1) AS fans, SUM(n{len(WINDOWS) + 1}) AS minor FROM "rollup_part" '
    'WHERE rollup = {rollup} AND fan_id NOT IN (SELECT fan_id FROM "membership") GROUP BY key'
)


@dataclass(frozen=True, slots=True)
class DropRevenue:
    """Paid drop orders of one currency, split by whether the buyer was a member then."""

    currency: str
    member_orders: int
    member_buyers: int
    member_minor: int
    other_orders: int
    other_buyers: int
    other_minor: int


@dataclass(frozen=True, slots=True)
class Ltv:
    who: str  # "members" or "one-time buyers"
    currency: str
    fans: int  # whose 90 days are over, who paid in this currency
    per_fan: int  # minor units within their 90 days
    from_memberships: int  # of `per_fan`, estimated membership payments (members only)


async def drop_revenue(now: datetime) -> list[DropRevenue]:
    split: dict[str, dict[int, tuple[int, int, int]]] = {}
    for row in await sql.rows(_DROP_REVENUE, now=now):
        counts = (int(row["orders"]), int(row["buyers"]), int(row["minor"]))
        split.setdefault(str(row["currency"]), {})[int(row["member"])] = counts
    return [
        DropRevenue(currency, *by.get(1, (0, 0, 0)), *by.get(0, (0, 0, 0)))
        for currency, by in sorted(split.items())
    ]


async def ltv(now: datetime) -> list[Ltv]:
    """Members first, then one-time buyers; each by currency."""
    return await _members_ltv(now) + await _buyers_ltv(now)


async def _members_ltv(now: datetime) -> list[Ltv]:
    judged_before = now - timedelta(days=DAYS)
    drops: dict[tuple[int, str], int] = {}
    for row in await sql.rows(_MEMBERS_DROPS, judged_before=judged_before):
        drops[int(row["fan_id"]), str(row["currency"])] = int(row["minor"])
    paid: dict[tuple[int, str], int] = {}
    for row in await sql.rows(_MEMBERS_PLANS, judged_before=judged_before, now=now):
        stars = row["provider"] == SubscriptionProvider.TELEGRAM_STARS
        currency = STARS if stars else str(row["currency"])
        price = int(row["stars"] or 0) if stars else int(row["price_minor"])
        until = utc_moment(row["first_at"]) + timedelta(days=DAYS)
        ends = [until] if row["stopped_at"] is None else [until, utc_moment(row["stopped_at"])]
        period = "stars" if stars else str(row["period"])
        n = payments(utc_moment(row["paying_from"]), min(ends), period)
        if n and price:
            key = (int(row["fan_id"]), currency)
            paid[key] = paid.get(key, 0) + n * price
    found = []
    for currency in sorted({c for _, c in drops.keys() | paid.keys()}):
        fans = {fan for fan, c in drops.keys() | paid.keys() if c == currency}
        from_plans = sum(v for (_, c), v in paid.items() if c == currency)
        total = from_plans + sum(v for (_, c), v in drops.items() if c == currency)
        found.append(Ltv("members", currency, len(fans), round(total / len(fans)),
                         round(from_plans / len(fans))))  # fmt: skip
    return found


async def _buyers_ltv(now: datetime) -> list[Ltv]:
    await up_to_date(COHORTS)
    fans: dict[str, int] = {}
    minor: dict[str, int] = {}
    for row in await sql.rows(_BUYERS_PARTS, rollup=COHORTS.name):
        week, currency = str(row["key"]).split("|")
        monday = datetime.fromisoformat(week).replace(tzinfo=UTC)
        if monday + timedelta(days=7 + DAYS) <= now:
            fans[currency] = fans.get(currency, 0) + int(row["fans"])
            minor[currency] = minor.get(currency, 0) + int(row["minor"])
    return [
        Ltv("one-time buyers", currency, n, round(minor[currency] / n), 0)
        for currency, n in sorted(fans.items())
        if n
    ]


def payments(first: datetime, before: datetime, period: PlanPeriod | str) -> int:
    """Periods begun from `first` (the first payment) and before `before`: the payments a
    membership made in that time, `period` being monthly, yearly or "stars" (30 days)."""
    count = 0
    while period_start(first, count, period) < before:
        count += 1
    return count


def period_start(first: datetime, n: int, period: PlanPeriod | str) -> datetime:
    """The start of the `n`th period after `first` (0: `first`). Calendar months and years
    keep the day of `first`, or the month's last day where it has fewer (as Stripe bills)."""
    if period == "stars":
        return first + n * STARS_PERIOD
    months = n * (12 if period == PlanPeriod.YEARLY else 1)
    year, month = divmod(first.month - 1 + months, 12)
    year += first.year
    day = min(first.day, calendar.monthrange(year, month + 1)[1])
    return first.replace(year=year, month=month + 1, day=day)
