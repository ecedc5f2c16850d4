"""Metrics on small hand-made data, each answer worked out here, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from math import asin, ceil, sqrt
from statistics import NormalDist

import pytest

from core.analytics.ab import Arm, verdict
from core.analytics.attribution import Weights, blended_attribution
from core.analytics.buyers import cohorts, repeat_rate
from core.analytics.churn import buyer_churn, member_churn
from core.analytics.copy_tests import copy_tests
from core.analytics.drops import drop_reports
from core.analytics.lag import Lag, conversion_lag
from core.analytics.report import as_data, full_report, tables
from core.analytics.uplift import recognition_uplift
from core.campaigns.segments import Segment
from core.drops.copy import Pitch
from core.drops.order_rows import PaymentReceived
from core.errors import InvalidInput, NotFound
from core.kinds import FanTier, Platform
from core.messages import CampaignDM
from core.models import Attendance, Fan
from core.money import parse_price
from tests.builders import fans, open_drop, tier


async def test_conversion_lag_counts_paid_orders_from_going_live(world):
    drop = await open_drop(world.core, tier(stock=10))
    session = await world.core.live.schedule("Friday", world.clock.now() + timedelta(minutes=1))
    buyers = await fans(7)

    async def buy(fan: int) -> int:
        hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
        paid = PaymentReceived(f"pi_{fan}", "sandbox", hold.id, hold.price)
        return (await world.core.payments.settle(paid)).id

    await buy(buyers[0])  # before the session: not its
    world.clock.advance(minutes=1)
    await world.core.live.start(session.id)
    for fan, minutes in zip(buyers[1:5], (2, 5, 5, 28), strict=True):
        world.clock.advance(minutes=minutes)
        await buy(fan)  # at 2, 7, 12 and 40 minutes
    refunded = await buy(buyers[5])  # at 40 too, but refunded
    await world.core.orders.refund(refunded, "changed their mind")
    world.clock.advance(hours=25)
    await buy(buyers[6])  # a day later: not the session's any more

    lag = await conversion_lag("session", session.id)
    assert lag.orders == 4
    assert (lag.median, lag.p90) == (7.0, 40.0)  # nearest rank: 2nd and 4th of 4
    assert lag.histogram == [(0, 1), (5, 1), (10, 1), (40, 1)]
    from_opening = await conversion_lag("drop", drop.id)
    assert from_opening.orders == 5  # the order before the session counts from the opening
    assert from_opening.median == 8.0  # 0, 3, 8, 13, 41 minutes after the opening


async def test_conversion_lag_with_no_orders_and_for_what_does_not_exist(world):
    session = await world.core.live.schedule("Quiet", world.clock.now() + timedelta(minutes=1))
    lag = await conversion_lag("session", session.id)  # never went live: nothing to measure
    assert (lag.orders, lag.median, lag.p90, lag.histogram) == (0, None, None, [])
    with pytest.raises(NotFound, match="no drop #9"):
        await conversion_lag("drop", 9)


async def test_repeat_rate_and_cohort_ltv_by_first_purchase_week(world):
    drop = await open_drop(world.core, tier(stock=20, limit=5))
    a, b, c, d = await fans(4)
    start = world.clock.now()  # Thursday 2026-01-01: the week of Monday 2025-12-29

    async def buy(fan: int, day: int) -> int:
        world.clock.set(start + timedelta(days=day))
        hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
        paid = PaymentReceived(f"pi_{fan}_{day}", "sandbox", hold.id, hold.price)
        return (await world.core.payments.settle(paid)).id

    for fan, day in ((a, 0), (b, 0), (a, 10), (c, 7), (a, 45)):
        await buy(fan, day)
    await world.core.orders.refund(await buy(d, 1), "returned")  # refunded: no buyer

    rate = await repeat_rate()
    assert (rate.buyers, rate.repeat_buyers, rate.rate) == (3, 1, 0.333)
    first, second = await cohorts(start + timedelta(days=45))
    assert (first.week.isoformat(), first.currency, first.fans) == ("2025-12-29", "EUR", 2)
    # per fan: two 25.00 orders in 7 days, one more by day 10 and by day 45; 60 days not over
    assert first.per_fan == {7: 2500, 30: 3750, 60: None, 90: None}
    assert (second.week.isoformat(), second.fans) == ("2026-01-05", 1)
    later = await cohorts(start + timedelta(days=120))
    assert later[0].per_fan == {7: 2500, 30: 3750, 60: 5000, 90: 5000}
    assert later[1].per_fan == {7: 2500, 30: 2500, 60: 2500, 90: 2500}


async def test_no_buyers_yet_is_an_empty_answer_not_an_error(world):
    assert (await repeat_rate()).rate is None
    assert await cohorts(world.clock.now()) == []


async def test_a_new_creators_whole_report_is_empty_not_an_error(world):
    report = await full_report(world.clock.now(), Weights())
    assert report.lag == Lag(0, None, None, [])  # no median of nothing
    assert (report.repeat.rate, report.uplift.difference) == (None, None)
    assert [report.sessions, report.drops, report.cohorts, report.attribution, report.tests] == [
        [], [], [], [], []
    ]  # fmt: skip
    assert all(rows == [] for rows in tables(report).values())
    assert json.loads(json.dumps(as_data(report)))["lag"]["median"] is None


async def test_a_drops_sell_through_time_to_sell_out_and_funnel(world):
    drop = await open_drop(world.core, tier(stock=3))
    a, b, c, d = await fans(4)
    await Fan.filter(id__in=[a, b, c, d]).update(dm_opt_in=True)
    await world.core.campaigns.create("Go", Segment(), ["{link}"], drop_id=drop.id)
    while await world.core.outbox.drain(Platform.SANDBOX):
        pass
    dm = next(m for m in world.messenger.to(a) if isinstance(m, CampaignDM))
    assert dm.url is not None
    await world.core.short_links.follow(dm.url.rsplit("/", 1)[1])  # a taps the DM's link
    holds = {fan: await world.core.holds.reserve(drop.tiers[0].id, fan) for fan in (a, b, c)}
    pay_link = await world.core.holds.pay_link(holds[c].id, c)
    await world.core.short_links.follow(pay_link.url.rsplit("/", 1)[1])  # c taps their pay link
    for fan, minutes in ((a, 2), (b, 3), (c, 4)):
        world.clock.advance(minutes=minutes)
        hold = holds[fan]
        await world.core.payments.settle(PaymentReceived(f"pi_{fan}", "x", hold.id, hold.price))

    [report] = await drop_reports()
    assert (report.stock, report.sold, report.sell_through) == (3, 3, 1.0)
    assert report.minutes_to_sell_out == 9.0  # the third unit, 2 + 3 + 4 minutes in
    assert (report.reached, report.tapped, report.held, report.paid) == (4, 2, 3, 3)


def wilson(converted: int, fans: int) -> tuple[float, float]:
    """The Wilson score interval, written out, to check the library's against."""
    z, p = NormalDist().inv_cdf(0.975), converted / fans
    centre = (p + z * z / (2 * fans)) / (1 + z * z / fans)
    half = z * sqrt(p * (1 - p) / fans + z * z / (4 * fans * fans)) / (1 + z * z / fans)
    return centre - half, centre + half


def test_a_real_difference_gets_a_winner_with_intervals():
    found = verdict([Arm("A", 1000, 50), Arm("B", 1000, 100)])
    assert found.winner == "B"
    assert found.words == "B converts better than A, 95% confident."
    assert found.p_value is not None
    assert found.p_value < 0.001
    low, high = found.arms[0].interval()
    assert (round(low, 4), round(high, 4)) == tuple(round(x, 4) for x in wilson(50, 1000))


def test_too_little_data_says_how_many_more_fans_it_would_take():
    found = verdict([Arm("A", 50, 3), Arm("B", 50, 4)])
    assert found.winner is None
    # fans per variant for 80% power at 5% significance: 2 ((z_.975 + z_.8) / h)^2, with h
    # Cohen's effect size between the rates (each arcsine-transformed rate has variance
    # 1/n, so their difference 2/n)
    h = 2 * asin(sqrt(0.08)) - 2 * asin(sqrt(0.06))
    z = NormalDist().inv_cdf
    needed = ceil(2 * ((z(0.975) + z(0.8)) / h) ** 2)
    assert found.more_fans_needed == needed - 50
    assert found.words == f"Not enough data yet: about {needed - 50} more fans per variant needed."


def test_variants_that_convert_alike_or_not_at_all_get_no_winner():
    assert verdict([Arm("A", 100, 10), Arm("B", 100, 10)]).words.startswith("No difference")
    assert verdict([Arm("A", 100, 0), Arm("B", 100, 0)]).winner is None
    assert verdict([Arm("A", 10, 1)]).winner is None


def test_a_test_with_no_buyer_or_an_empty_variant_is_too_early_not_alike():
    nobody = verdict([Arm("A", 2, 0), Arm("B", 0, 0)])
    assert nobody.words == "Not enough data yet: no one has bought after any variant."
    unsent = verdict([Arm("A", 10, 1), Arm("B", 0, 0)])
    assert unsent.words == "Not enough data yet: a variant has reached no fan."


async def test_buyer_churn_by_month_counts_buyers_who_did_not_buy_the_month_after(world):
    drop = await open_drop(world.core, tier(stock=20, limit=5))
    a, b, c = await fans(3)
    start = world.clock.now()  # 2026-01-01
    for fan, day in ((a, 0), (b, 3), (a, 40), (a, 70), (c, 75)):  # Jan, Jan, Feb, Mar, Mar
        world.clock.set(start + timedelta(days=day))
        hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
        paid = PaymentReceived(f"pi_{fan}_{day}", "x", hold.id, hold.price)
        await world.core.payments.settle(paid)
    months = await buyer_churn(start + timedelta(days=105))  # mid-April: March not judged yet
    assert [(m.month, m.active, m.churned, m.rate) for m in months] == [
        ("2026-01", 2, 1, 0.5),  # b did not come back in February
        ("2026-02", 1, 0, 0.0),
    ]


async def test_member_churn_counts_any_way_of_taking_part(world):
    drop = await open_drop(world.core, tier(stock=20, limit=5))
    a, b, c, d = await fans(4)
    start = world.clock.now()  # 2026-01-01
    session = await world.core.live.schedule("Feb show", start + timedelta(days=35))
    await world.core.live_reminders.rsvp(session.id, a)  # January: a says they will come
    await world.core.holds.reserve(drop.tiers[0].id, b)  # January: b holds, never pays
    world.clock.set(start + timedelta(days=35))
    await world.core.live.start(session.id)
    await world.core.attendance.check_in(a)  # February: a listens
    await world.core.attendance.check_in(c)  # February: c listens
    await world.core.campaigns.create("Go", Segment(), ["{link}"], drop_id=drop.id)
    await Fan.filter(id=d).update(dm_opt_in=True)
    world.clock.set(start + timedelta(days=40))  # February: d taps a campaign DM
    while await world.core.outbox.drain(Platform.SANDBOX):
        pass
    dm = next(m for m in world.messenger.to(d) if isinstance(m, CampaignDM))
    await world.core.short_links.follow(dm.url.rsplit("/", 1)[1])

    months = await member_churn(start + timedelta(days=95))  # April: March not judged yet
    assert [(m.month, m.active, m.churned) for m in months] == [
        ("2026-01", 2, 1),  # b did nothing in February
        ("2026-02", 3, 3),  # neither a, c nor d came back in March
    ]


async def test_blended_attribution_splits_each_order_by_the_weights(world):
    drop = await open_drop(world.core, tier(stock=20))
    a, b, c, d, e = await fans(5)
    start = world.clock.now()
    early = await world.core.live.schedule("Too long ago", start + timedelta(minutes=1))
    await world.core.live.start(early.id)
    await world.core.attendance.check_in(e)  # e listened, but 8 days before paying
    await world.core.live.end(early.id)
    world.clock.set(start + timedelta(days=7))
    session = await world.core.live.schedule("Friday", world.clock.now() + timedelta(minutes=1))
    await world.core.live.start(session.id)
    await world.core.attendance.check_in(a)
    await Attendance.filter(session_id=session.id, fan_id=a).update(minutes=90)  # capped at 60
    code = await world.core.attendance.new_code()
    await world.core.attendance.claim(code, a)
    await world.core.attendance.check_in(c)  # checked in, listened 0 minutes
    await Fan.filter(id__in=[b, c]).update(dm_opt_in=True)
    await world.core.campaigns.create("Go", Segment(), ["{link}"], drop_id=drop.id)
    while await world.core.outbox.drain(Platform.SANDBOX):
        pass
    for fan in (b, c):
        dm = next(m for m in world.messenger.to(fan) if isinstance(m, CampaignDM))
        await world.core.short_links.follow(dm.url.rsplit("/", 1)[1])
    world.clock.advance(days=1)
    for fan in (a, b, c, d, e):
        hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
        await world.core.payments.settle(PaymentReceived(f"pi_{fan}", "x", hold.id, hold.price))

    [credit] = await blended_attribution(Weights())
    # weights (live, dm, organic): a (2 + 0.05*60 + 0.5, 0, 0.5); b (0, 1, 0.5);
    # c (2, 1, 0.5); d and e (0, 0, 0.5); each order 25.00
    shares = {
        "live": 5.5 / 6 + 2 / 3.5,
        "dm": 1 / 1.5 + 1 / 3.5,
        "organic": 0.5 / 6 + 0.5 / 1.5 + 0.5 / 3.5 + 2,
    }
    assert (credit.currency, credit.orders, credit.revenue) == ("EUR", 5, 12500)
    assert credit.live == round(2500 * shares["live"])
    assert credit.dm == round(2500 * shares["dm"])
    assert credit.organic == round(2500 * shares["organic"])
    assert (credit.live_orders, credit.dm_orders) == (
        round(shares["live"], 2),
        round(shares["dm"], 2),
    )
    only_organic = await blended_attribution(Weights(live=0, per_minute=0, per_code=0, dm=0))
    assert only_organic[0].organic == 12500


async def test_recognition_uplift_compares_within_each_first_purchase_month(world):
    drop = await open_drop(world.core, tier(stock=30, limit=5))
    people = await fans(7)
    start = world.clock.now()  # January 2026

    async def buy(fan: int, day: int) -> None:
        world.clock.set(start + timedelta(days=day))
        hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
        await world.core.payments.settle(
            PaymentReceived(f"pi_{fan}_{day}", "x", hold.id, hold.price)
        )

    jan_crossed, jan_repeat, jan_once, feb_crossed, feb_once, feb_repeat, _never = people
    for fan, days in (
        (jan_crossed, (0, 20)), (jan_repeat, (1, 21)), (jan_once, (2,)),
        (feb_crossed, (40, 45)), (feb_once, (41,)), (feb_repeat, (42, 50)),
    ):  # fmt: skip
        for day in days:
            await buy(fan, day)
    await Fan.filter(id__in=people).update(tier=FanTier.FAN)  # first-buyer points aside
    await Fan.filter(id__in=[jan_crossed, feb_crossed]).update(tier=FanTier.INSIDER)

    found = await recognition_uplift(start + timedelta(days=95))  # April
    by_month = {c.month: c for c in found.cohorts}
    jan, feb = by_month["2026-01"], by_month["2026-02"]
    assert (jan.crossed.fans, jan.crossed.rate, jan.others.fans, jan.others.rate) == (
        1,
        1.0,
        2,
        0.5,
    )
    assert (feb.crossed.fans, feb.crossed.rate, feb.others.fans, feb.others.rate) == (
        1,
        1.0,
        2,
        0.5,
    )
    assert found.difference == 0.5  # 1.0 - 0.5 in both cohorts of 3
    assert "not proof" in found.caveat


async def test_drop_copy_variants_are_stable_per_fan_and_compared_by_who_paid(world):
    drop = await open_drop(world.core, tier(stock=100, price="20.00 EUR"))
    said = await world.core.drops.set_copy(drop.id, "A=plain B=scarcity+was:30.00")
    assert said == "A: plain, B: scarcity + was 30.00 EUR"
    people = await fans(40)
    shown: dict[str, list[int]] = {"A": [], "B": []}
    for fan in people:
        hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
        pitch = await world.core.holds.pitch(hold.id)
        assert await world.core.holds.pitch(hold.id) == pitch  # the same every time
        assert pitch.label is not None
        shown[pitch.label].append(hold.id)
        if pitch.label == "B":
            assert str(pitch.was) == "30.00 EUR"
            assert pitch.left is not None
            assert pitch.left < 100
        else:
            assert (pitch.left, pitch.was) == (None, None)
    assert min(len(holds) for holds in shown.values()) >= 10  # both variants in use
    for label, holds in shown.items():
        for hold_id in holds[: 2 if label == "A" else 8]:
            hold = await world.core.holds.pitch(hold_id)
            await world.core.payments.settle(
                PaymentReceived(f"pi_{hold_id}", "x", hold_id, parse_price("20.00 EUR"))
            )

    [test] = await copy_tests()
    arms = {arm.label: (arm.fans, arm.converted) for arm in test.verdict.arms}
    assert arms == {"A": (len(shown["A"]), 2), "B": (len(shown["B"]), 8)}
    assert test.title == "Winter drop"


@pytest.mark.parametrize(
    ("variants", "refusal"),
    [
        ("A=plain", "at least two variants"),
        ("A=plain A=scarcity", "its own label"),
        ("A=plain B=loud", "'loud' is not a style"),
        ("A=plain B=was:10.00", "must be above the price"),
        ("A=plain B=was:ten", "is not"),
        ("plain scarcity", "is not LABEL=STYLE"),
    ],
)
async def test_bad_drop_copy_is_refused_by_name_and_changes_nothing(world, variants, refusal):
    drop = await open_drop(world.core, tier(price="20.00 EUR"))
    with pytest.raises(InvalidInput, match=refusal):
        await world.core.drops.set_copy(drop.id, variants)
    hold = await world.core.holds.reserve(drop.tiers[0].id, (await fans(1))[0])
    assert await world.core.holds.pitch(hold.id) == Pitch()
