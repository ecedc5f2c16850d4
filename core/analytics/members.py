"""Members in the numbers: active members per plan, MRR per currency, new, churned and
reactivated members by month with the monthly churn rate, and trial-to-paid conversion.

The membership table keeps each subscription's latest state, not its history, so a
membership is read as one stretch of time:

* it is a **member** from `started_at` (a trial included) until it **stopped**: when it
  ended; for a lapsed or paused one, at the snapshot that said so (`snapshot_at`); for one
  whose access ran out with no newer report (a past-due member past the grace period, a
  cancellation whose end was not reported yet), when the access ran out (`STOPPED`);
* it is **paying** from the end of its trial (`trial_end`, or `started_at` without one)
  until it stopped; a trial that ended unpaid never pays, and counts in the trials'
  conversion, not in the churn;
* a trial **became paid** if the membership went on after it, unless its first charge
  failed (past due, lapsed or ended for a failed payment within the first period after the
  trial); such a member counts as paying until they stop, since which charge failed is not
  kept;
* a member who lapsed and later paid again counts as having paid throughout.

**A month** is a calendar month in UTC: from the 1st at 00:00 UTC to the next 1st, each
moment in the month its UTC date falls in, whatever the creator's time zone. The current
month is shown as it stands so far (`over` is False); its churn rate is not final.

* paying at the month's start: paying members at its first moment;
* churned: paying members who stopped within the month;
* the month's **churn rate**: churned / paying at its start;
* new: fans whose first membership ever began in the month (a trial counts);
* reactivated: fans who began a membership in the month after an earlier one stopped, and
  held none at that moment.

MRR counts the paying members (active, past due within the grace period, cancelling at
the period's end; not a trial) at their plan's price: monthly as it is, yearly / 12, and a
Telegram Stars membership at the plan's Stars per 30 days, in XTR. Each currency is its
own figure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from core import sql
from core.kinds import MemberState, PlanPeriod, SubscriptionProvider
from core.money import STARS


def stopped(m: str) -> str:
    """When membership `m` stopped counting (module docstring), or NULL while it counts."""
    return (
        f"(CASE WHEN {m}.state = '{MemberState.ENDED}' THEN {m}.ended_at "
        f"WHEN {m}.state IN ('{MemberState.LAPSED}', '{MemberState.PAUSED}') "
        f"THEN {m}.snapshot_at WHEN {m}.access_until <= {{now}} THEN {m}.access_until END)"
    )


def paying_from(m: str) -> str:
    return f"COALESCE({m}.trial_end, {m}.started_at)"


STOPPED = stopped("m")  # the fragments the statements share, for the membership `m`
PAYING_FROM = paying_from("m")
# counts as paying at {at}
PAYING_AT = f"{PAYING_FROM} <= {{at}} AND ({STOPPED} IS NULL OR {STOPPED} > {{at}})"
_HAS_ACCESS = (
    f"m.state IN ('{MemberState.TRIALING}', '{MemberState.ACTIVE}', '{MemberState.PAST_DUE}', "
    f"'{MemberState.CANCELLED_AT_PERIOD_END}') AND m.access_until > {{now}}"
)
_STARS = f"m.provider = '{SubscriptionProvider.TELEGRAM_STARS}'"

_PER_PLAN = (
    "SELECT p.id AS plan_id, p.name AS name, COUNT(*) AS members, "
    f"SUM(CASE WHEN m.state = '{MemberState.TRIALING}' THEN 1 ELSE 0 END) AS trialing, "
    f"SUM(CASE WHEN m.state = '{MemberState.PAST_DUE}' THEN 1 ELSE 0 END) AS past_due, "
    f"SUM(CASE WHEN m.state = '{MemberState.CANCELLED_AT_PERIOD_END}' THEN 1 ELSE 0 END) "
    'AS cancelling FROM "membership" m JOIN "membership_plan" p ON p.id = m.plan_id '
    f"WHERE {_HAS_ACCESS} GROUP BY p.id, p.name ORDER BY p.id"
)
_MRR = (
    f"SELECT CASE WHEN {_STARS} THEN '{STARS}' ELSE p.currency END AS currency, "
    f"p.period AS period, SUM(CASE WHEN {_STARS} THEN COALESCE(p.stars_per_30_days, 0) "
    "ELSE p.price_minor END) AS minor, COUNT(*) AS members "
    'FROM "membership" m JOIN "membership_plan" p ON p.id = m.plan_id '
    f"WHERE {_HAS_ACCESS} AND m.state <> '{MemberState.TRIALING}' "
    "AND (m.trial_end IS NULL OR m.trial_end <= {now}) GROUP BY 1, 2 ORDER BY 1, 2"
)
_FIRST_START = 'SELECT MIN(started_at) AS first FROM "membership"'
# the same fan's memberships begun before `m`
_EARLIER = '"membership" e WHERE e.fan_id = m.fan_id AND e.started_at < m.started_at'
_BEGAN = "m.started_at >= {start} AND m.started_at < {end}"
_MONTH = (
    f'SELECT (SELECT COUNT(*) FROM "membership" m WHERE {PAYING_AT}) AS paying, '
    f'(SELECT COUNT(*) FROM "membership" m WHERE {PAYING_FROM} < {STOPPED} '
    f"AND {STOPPED} >= {{start}} AND {STOPPED} < {{end}}) AS churned, "
    f'(SELECT COUNT(DISTINCT m.fan_id) FROM "membership" m WHERE {_BEGAN} '
    f"AND NOT EXISTS (SELECT 1 FROM {_EARLIER})) AS new, "
    f'(SELECT COUNT(DISTINCT m.fan_id) FROM "membership" m WHERE {_BEGAN} '
    f"AND EXISTS (SELECT 1 FROM {_EARLIER}) AND NOT EXISTS (SELECT 1 FROM {_EARLIER} "
    f"AND ({stopped('e')} IS NULL OR {stopped('e')} > m.started_at))) AS reactivated"
)
# the first charge after the trial failed: past due or lapsed (or ended for it) within the
# first period after the trial (a month has at most 31 days, a year 366)
_FIRST_CHARGE_FAILED = (
    f"(m.state IN ('{MemberState.PAST_DUE}', '{MemberState.LAPSED}') "
    f"OR (m.state = '{MemberState.ENDED}' AND m.cancel_reason = 'payment_failed')) "
    "AND {DAYS}m.current_period_end{IN_DAYS} - {DAYS}m.trial_end{IN_DAYS} <= "
    f"CASE WHEN p.period = '{PlanPeriod.YEARLY}' AND NOT {_STARS} THEN 366 ELSE 31 END"
)
_TRIALS = (
    f"SELECT COUNT(*) AS trials, SUM(CASE WHEN ({STOPPED} IS NULL OR {STOPPED} > m.trial_end) "
    f"AND NOT ({_FIRST_CHARGE_FAILED}) THEN 1 ELSE 0 END) AS converted "
    'FROM "membership" m JOIN "membership_plan" p ON p.id = m.plan_id '
    "WHERE m.trial_end IS NOT NULL AND m.trial_end <= {now}"
)


@dataclass(frozen=True, slots=True)
class PlanMembers:
    plan_id: int
    name: str
    members: int  # with access now: trialing, active, past due in grace, cancelling
    trialing: int
    past_due: int
    cancelling: int  # cancelled, with access until the period ends


@dataclass(frozen=True, slots=True)
class Mrr:
    currency: str
    minor: int  # per month, in the currency's minor units (XTR: Stars per 30 days)
    members: int  # the paying members it counts


@dataclass(frozen=True, slots=True)
class MemberMonth:
    month: str  # YYYY-MM, UTC
    paying_at_start: int
    new: int
    reactivated: int
    churned: int
    over: bool  # False: the current month, so far

    @property
    def rate(self) -> float | None:
        """Churned / paying at the month's start."""
        if not self.paying_at_start:
            return None
        return round(self.churned / self.paying_at_start, 3)


@dataclass(frozen=True, slots=True)
class Trials:
    ended: int  # trials whose end has passed
    converted: int  # of them, memberships that went on paying

    @property
    def rate(self) -> float | None:
        return round(self.converted / self.ended, 3) if self.ended else None


async def members_per_plan(now: datetime) -> list[PlanMembers]:
    return [
        PlanMembers(int(r["plan_id"]), str(r["name"]), int(r["members"]), int(r["trialing"]),
                    int(r["past_due"]), int(r["cancelling"]))
        for r in await sql.rows(_PER_PLAN, now=now)
    ]  # fmt: skip


async def mrr(now: datetime) -> list[Mrr]:
    """Per currency; a yearly plan's twelfth is rounded to the minor unit once per currency,
    after adding up its members' prices."""
    monthly: dict[str, int] = {}
    yearly: dict[str, int] = {}
    members: dict[str, int] = {}
    for row in await sql.rows(_MRR, now=now):
        currency = str(row["currency"])
        into = yearly if row["period"] == PlanPeriod.YEARLY and currency != STARS else monthly
        into[currency] = into.get(currency, 0) + int(row["minor"])
        members[currency] = members.get(currency, 0) + int(row["members"])
    return [
        Mrr(currency, monthly.get(currency, 0) + (yearly.get(currency, 0) * 2 + 12) // 24, n)
        for currency, n in sorted(members.items())
    ]


async def member_months(now: datetime) -> list[MemberMonth]:
    """Every month from the first membership's to the current one, oldest first."""
    [row] = await sql.rows(_FIRST_START)
    first = row["first"]
    if first is None:
        return []
    found = []
    for label, start, end in months_between(utc_moment(first), now):
        [counts] = await sql.rows(_MONTH, at=start, start=start, end=end, now=now)
        found.append(
            MemberMonth(label, int(counts["paying"]), int(counts["new"]),
                        int(counts["reactivated"]), int(counts["churned"]), end <= now)
        )  # fmt: skip
    return found


async def trials(now: datetime) -> Trials:
    [row] = await sql.rows(_TRIALS, now=now)
    return Trials(int(row["trials"]), int(row["converted"] or 0))


def months_between(first: datetime, now: datetime) -> list[tuple[str, datetime, datetime]]:
    """(YYYY-MM, its first moment, the next month's) for each UTC calendar month from the
    one `first` falls in to the one `now` falls in."""
    found = []
    start = month_start(first)
    while start <= now:
        end = next_month_start(start)
        found.append((f"{start:%Y-%m}", start, end))
        start = end
    return found


def month_start(moment: datetime) -> datetime:
    utc = moment.astimezone(UTC)
    return datetime(utc.year, utc.month, 1, tzinfo=UTC)


def next_month_start(start: datetime) -> datetime:
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)


def utc_moment(value: object) -> datetime:
    """A timestamp a row is sure to hold, as an aware UTC datetime (core/sql.py `moment`)."""
    moment = sql.moment(value)
    if moment is None:
        raise ValueError("a timestamp was expected, not NULL")
    return moment
