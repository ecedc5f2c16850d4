"""The demo data's metrics against the simulation's own truth: counted exactly where the
simulation counted them itself, and within a stated tolerance of its parameters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tortoise.exceptions import IntegrityError

from bots.demo.loader import load
from bots.demo.simulation import Params, simulate
from core.analytics.attribution import Weights, blended_attribution
from core.analytics.buyers import cohorts, repeat_rate
from core.analytics.churn import buyer_churn, member_churn
from core.analytics.drops import drop_reports
from core.analytics.lag import lag_after_sessions
from core.analytics.members import member_months, trials
from core.analytics.report import full_report
from core.analytics.uplift import recognition_uplift
from core.errors import InvalidState
from core.models import Fan
from tests.builders import open_drop, tier
from tests.unit.state import database_state

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
LAG_TOLERANCE = 0.2  # the pooled median of ~170 exponential lags, within 20% of mean x ln 2
# the membership churn of the months over, pooled (~2,000 paying member-months, a standard
# error of about 0.5 points), within 1.5 percentage points of the 6% a renewal is cancelled
CHURN_TOLERANCE = 0.015


@pytest.fixture
async def demo(db):
    plan = simulate(Params(seed=7, fans=3000, weeks=12), NOW)
    await load(plan)
    return plan


async def test_every_metric_matches_what_the_simulation_counted(demo):
    truth = demo.truth
    lag = await lag_after_sessions()
    assert lag.median == pytest.approx(truth.realised_lag_median, abs=0.1)
    assert lag.median == pytest.approx(truth.lag_median, rel=LAG_TOLERANCE)
    assert lag.p90 == pytest.approx(truth.lag_p90, rel=LAG_TOLERANCE)

    rate = await repeat_rate()
    assert (rate.buyers, rate.repeat_buyers) == (truth.buyers, truth.repeat_buyers)
    churned = {m.month: (m.active, m.churned) for m in await buyer_churn(NOW)}
    assert churned == truth.buyer_churn
    left = {m.month: (m.active, m.churned) for m in await member_churn(NOW)}
    assert left == truth.member_churn
    drops = await drop_reports()
    assert {d.id: d.sold for d in drops} == truth.sold
    assert {d.id: d.held for d in drops} == truth.held
    assert {c.week: c.per_fan for c in await cohorts(NOW)} == truth.ltv

    report = await full_report(NOW, Weights())
    [campaign] = [t for t in report.tests if t.kind == "campaign"]
    assert campaign.verdict.winner == truth.campaign_winner  # B converts 0.4 vs 0.15 of tappers


async def test_the_membership_churn_is_the_simulations_6_percent_a_month(demo):
    truth = demo.truth
    months = await member_months(NOW)
    over = {m.month: (m.paying_at_start, m.churned) for m in months if m.over}
    assert over == truth.membership_churn  # counted exactly as the simulation counted
    paying, churned = (sum(column) for column in zip(*over.values(), strict=True))
    assert paying > 1500
    assert churned / paying == pytest.approx(truth.membership_churn_rate, abs=CHURN_TOLERANCE)
    found = await trials(NOW)
    assert (found.ended, found.converted) == truth.trials
    assert found.rate == pytest.approx(demo.params.members.converts, abs=0.05)


async def test_attribution_and_uplift_on_the_simulated_weeks(demo):
    [credit] = await blended_attribution(Weights())
    assert credit.orders == len(demo.orders)
    assert abs(credit.live + credit.dm + credit.organic - credit.revenue) <= 2  # rounding
    assert credit.live > credit.dm > 0  # session sales dominate; the pack came by DM
    uplift = await recognition_uplift(NOW)
    # the simulation adds 0.25 to a recognised fan's chance of buying again
    assert uplift.difference is not None
    assert uplift.difference > 0.05


async def test_demo_data_goes_only_into_an_empty_database(demo):
    with pytest.raises(InvalidState, match="already has fans"):
        await load(simulate(Params(fans=10, weeks=2), NOW))


async def test_a_database_in_use_is_refused_before_anything_is_written(world):
    await open_drop(world.core, tier(stock=5))  # a creator's first drop, no fan yet
    before = await database_state()
    with pytest.raises(InvalidState, match="already has drops"):
        await load(simulate(Params(fans=10, weeks=2), NOW))
    assert await database_state() == before


async def test_a_load_that_fails_halfway_leaves_nothing_behind(db):
    plan = simulate(Params(fans=40, weeks=2), NOW)
    plan.drops.append(plan.drops[0])  # written after the fans, refused by the drop's own id
    with pytest.raises(IntegrityError):
        await load(plan)
    assert await Fan.all().count() == 0
    await load(simulate(Params(fans=40, weeks=2), NOW))  # and it can run again
    assert await Fan.all().count() == 40
