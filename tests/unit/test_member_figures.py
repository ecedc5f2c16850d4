"""The membership figures (core/analytics/members.py, member_value.py) on a small set of
memberships and orders made by hand, every answer worked out here, on SQLite and
PostgreSQL. The figures are read on 15 April 2026 at noon UTC; the grace period is the
settings' 3 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.analytics.attribution import Weights
from core.analytics.member_value import drop_revenue, ltv, payments, period_start
from core.analytics.members import (
    MemberMonth,
    Mrr,
    PlanMembers,
    member_months,
    members_per_plan,
    months_between,
    mrr,
    trials,
)
from core.analytics.report import as_data, full_report, tables
from core.drops.order_rows import PaymentReceived
from core.memberships.plans import PlanSpec
from core.memberships.states import Snapshot
from core.money import parse_price
from tests.builders import fans, open_drop, tier

NOW = datetime(2026, 4, 15, 12, tzinfo=UTC)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def period(status: str, start: datetime, end: datetime, **more: object) -> Snapshot:
    """The subscription as reported at its period's start (or `as_of`)."""
    values: dict[str, object] = {"as_of": start, "started_at": start} | more
    return Snapshot(status, current_period_start=start, current_period_end=end, **values)  # type: ignore[arg-type]


@pytest.fixture
async def members(world):
    """Twelve fans. `f` is each fan's id by number; memberships:

    1  Club, 10 Jan →, active (period 10 Apr to 10 May)
    2  Club, 20 Jan, 7-day trial to 27 Jan, paid, ended 27 Mar; again from 2 Apr, active
    3  Club, 5 Feb, trial to 12 Feb, ended at its end: never paid
    4  Patrons (60.00 EUR a year), 15 Feb →, active
    5  Club in Telegram Stars (250 a 30 days), 1 Mar 09:00 →, active
    6  Club, 5 Jan, past due since 5 Apr: grace until 8 Apr, over by now
    7  Club, 14 Mar, past due since 14 Apr: in grace until 17 Apr
    8  Club, 12 Apr, trialing until 19 Apr
    9  Club, 20 Feb, cancelled at the end of its period, 20 Apr
    10 Club, 25 Feb, lapsed (retries gave up), reported 30 Mar
    11 no membership: bought on 6 Jan and 1 Mar
    12 Club, 6 Apr, trial to 13 Apr, whose first charge failed: past due, in grace to 16 Apr
    """
    core = world.core
    club = await core.plans.create(
        PlanSpec("Club", parse_price("5.00 EUR"), stars=250, trial_days=7)
    )
    patrons = await core.plans.create(
        PlanSpec("Patrons", parse_price("60.00 EUR"), period="yearly")
    )
    f = [0, *await fans(12)]
    record = core.memberships.record

    async def member(n: int, ref: str, snapshot: Snapshot, plan: int = club.id,
                     provider: str = "stripe") -> None:  # fmt: skip
        await record(f[n], plan, provider, ref, snapshot)

    await member(1, "s1", period("active", at(4, 10), at(5, 10), started_at=at(1, 10)))
    ended = {"ended_at": at(3, 27), "as_of": at(3, 27)}
    await member(2, "s2", period("canceled", at(2, 27), at(3, 27), started_at=at(1, 20),
                                 trial_end=at(1, 27), **ended))  # fmt: skip
    await member(2, "s2b", period("active", at(4, 2), at(5, 2)))
    await member(3, "s3", period("canceled", at(2, 5), at(2, 12), trial_end=at(2, 12),
                                 ended_at=at(2, 12), as_of=at(2, 12)))  # fmt: skip
    await member(4, "s4", period("active", at(2, 15), datetime(2027, 2, 15, 10, tzinfo=UTC)),
                 patrons.id)  # fmt: skip
    await member(5, "tg5", period("active", at(3, 31, 9), at(4, 30, 9), started_at=at(3, 1, 9)),
                 provider="telegram_stars")  # fmt: skip
    await member(6, "s6", period("past_due", at(4, 5), at(5, 5), started_at=at(1, 5)))
    await member(7, "s7", period("past_due", at(4, 14), at(5, 14), started_at=at(3, 14)))
    await member(8, "s8", period("trialing", at(4, 12), at(4, 19), trial_end=at(4, 19)))
    await member(9, "s9", period("active", at(3, 20), at(4, 20), started_at=at(2, 20),
                                 cancel_at_period_end=True))  # fmt: skip
    await member(10, "s10", period("unpaid", at(3, 25), at(4, 25), started_at=at(2, 25),
                                   as_of=at(3, 30)))  # fmt: skip
    await member(12, "s12", period("past_due", at(4, 13), at(5, 13), started_at=at(4, 6),
                                   trial_end=at(4, 13)))  # fmt: skip

    world.clock.set(at(1, 6, 9))
    drop = await open_drop(core, tier(stock=20, limit=5))

    async def buy(n: int, moment: datetime) -> None:
        world.clock.set(moment)
        hold = await core.holds.reserve(drop.tiers[0].id, f[n])
        await core.payments.settle(PaymentReceived(f"pi_{n}_{moment:%m%d}", "sandbox", hold.id,
                                                   hold.price))  # fmt: skip

    await buy(11, at(1, 6, 10))  # not a member
    await buy(3, at(2, 8))  # in their trial: a member
    await buy(1, at(2, 10))
    await buy(11, at(3, 1, 8))
    await buy(1, at(3, 10))
    world.clock.set(NOW)
    return f


async def test_active_members_per_plan_and_mrr_per_currency(members):
    assert await members_per_plan(NOW) == [
        # 1, 2 (again), 5, 7 and 12 (in grace), 8 (trial), 9 (cancelling); not 6, past its
        # grace
        PlanMembers(1, "Club", members=7, trialing=1, past_due=2, cancelling=1),
        PlanMembers(2, "Patrons", members=1, trialing=0, past_due=0, cancelling=0),
    ]
    assert await mrr(NOW) == [
        # 1, 2, 7, 9, 12 at 5.00 and a year of 60.00 as 5.00 a month; not the trial
        Mrr("EUR", 3000, members=6),
        Mrr("XTR", 250, members=1),  # the Stars member, per 30 days
    ]


async def test_new_churned_and_reactivated_members_by_utc_month(members):
    assert await member_months(NOW) == [
        MemberMonth("2026-01", paying_at_start=0, new=3, reactivated=0, churned=0, over=True),
        # 3 never paid: its trial's end is no churn
        MemberMonth("2026-02", paying_at_start=3, new=4, reactivated=0, churned=0, over=True),
        # 5 joined at 09:00 on the 1st: after the month's start. 2 ended, 10 lapsed
        MemberMonth("2026-03", paying_at_start=6, new=2, reactivated=0, churned=2, over=True),
        # 6 stopped when its grace ran out, 8 Apr; 2 came back on 2 Apr; 8 and 12 are new
        MemberMonth("2026-04", paying_at_start=6, new=2, reactivated=1, churned=1, over=False),
    ]
    rates = [m.rate for m in await member_months(NOW)]
    assert rates == [None, 0.0, 0.333, 0.167]


async def test_trials_convert_when_the_membership_outlives_them(members):
    # 2's, 3's and 12's trials are over, 8's is not; 3 cancelled, 12's first charge failed
    found = await trials(NOW)
    assert (found.ended, found.converted, found.rate) == (3, 1, 0.333)


async def test_members_drop_revenue_against_non_members(members):
    [eur] = await drop_revenue(NOW)
    # members: 3 in their trial, 1 twice; others: 11 twice
    assert (eur.member_orders, eur.member_buyers, eur.member_minor) == (3, 2, 7500)
    assert (eur.other_orders, eur.other_buyers, eur.other_minor) == (2, 1, 5000)


async def test_90_day_ltv_of_members_against_one_time_buyers(members):
    members_eur, buyers_eur = await ltv(NOW)
    # members whose 90 days are over (first membership by 15 Jan noon): 1 and 6.
    # 1: 3 payments (10 Jan, 10 Feb, 10 Mar) and two 25.00 orders = 65.00;
    # 6: 3 payments (5 Jan, 5 Feb, 5 Mar) = 15.00; per member (65 + 15) / 2
    assert (members_eur.who, members_eur.currency, members_eur.fans) == ("members", "EUR", 2)
    assert (members_eur.per_fan, members_eur.from_memberships) == (4000, 1500)
    # 11: first order 6 Jan (its week ended 12 Jan, 90 days before 12 Apr), 25.00 twice
    assert (buyers_eur.who, buyers_eur.fans, buyers_eur.per_fan) == ("one-time buyers", 1, 5000)


async def test_the_report_carries_the_figures_for_json_and_csv(members):
    report = await full_report(NOW, Weights())
    data = as_data(report)["memberships"]
    assert data["mrr"] == [
        {"currency": "EUR", "minor": 3000, "members": 6},
        {"currency": "XTR", "minor": 250, "members": 1},
    ]
    assert data["months"][2] == {
        "month": "2026-03", "paying_at_start": 6, "new": 2, "reactivated": 0, "churned": 2,
        "over": True, "rate": 0.333,
    }  # fmt: skip
    assert data["trials"] == {"ended": 3, "converted": 1, "rate": 0.333}
    flat = tables(report)
    assert [row["members"] for row in flat["member_plans"]] == [7, 1]
    assert len(flat["member_months"]) == 4


async def test_no_membership_yet(db):
    assert await member_months(NOW) == []
    assert await mrr(NOW) == []
    assert (await trials(NOW)).rate is None
    assert await ltv(NOW) == []


def test_a_month_is_a_calendar_month_in_utc():
    # 23:30 on 31 Jan in New York is already February in UTC
    first = datetime(2026, 1, 31, 23, 30, tzinfo=UTC) + timedelta(hours=5)
    labels = [label for label, _, _ in months_between(first, datetime(2026, 3, 1, tzinfo=UTC))]
    assert labels == ["2026-02", "2026-03"]
    _, start, end = months_between(datetime(2026, 12, 5, tzinfo=UTC), NOW.replace(year=2027))[0]
    assert (start, end) == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def test_payments_are_counted_by_the_periods_begun():
    first = datetime(2026, 1, 31, tzinfo=UTC)
    # a monthly plan from 31 Jan bills on 28 Feb, 31 Mar (the month's last day where shorter)
    assert period_start(first, 1, "monthly") == datetime(2026, 2, 28, tzinfo=UTC)
    assert period_start(first, 2, "monthly") == datetime(2026, 3, 31, tzinfo=UTC)
    assert payments(first, datetime(2026, 3, 31, tzinfo=UTC), "monthly") == 2
    assert payments(first, first, "monthly") == 0  # stopped when its trial ended
    assert payments(first, datetime(2026, 4, 2, tzinfo=UTC), "stars") == 3  # days 0, 30, 60
    assert payments(first, datetime(2027, 1, 31, tzinfo=UTC), "yearly") == 1
