"""The whole picture in one read: every metric the creator's stats and dashboard show,
gathered once, with flat tables for CSV and a JSON-ready form for scripts."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from tortoise.transactions import in_transaction

from core import sql
from core.analytics import attribution
from core.analytics.ab import Verdict
from core.analytics.attribution import Credit, Weights, blended_attribution
from core.analytics.buyers import BUYERS, COHORTS, Cohort, RepeatRate, cohorts, repeat_rate
from core.analytics.churn import BUYING, TAKING_PART, MonthChurn, buyer_churn, member_churn
from core.analytics.copy_tests import ARMS as COPY_ARMS
from core.analytics.copy_tests import copy_tests
from core.analytics.drops import FUNNELS, DropReport, drop_reports
from core.analytics.lag import POOLED, Lag, conversion_lag, lag_after_sessions
from core.analytics.membership_figures import MemberFigures, member_figures
from core.analytics.rollups import frozen, up_to_date
from core.analytics.uplift import Uplift, recognition_uplift
from core.campaigns.report import ARMS as CAMPAIGN_ARMS
from core.campaigns.report import ab_tests
from core.models import LiveSession
from core.popups.stats import PopUpStats, pop_up_stats

RECENT_SESSIONS = 12
# PostgreSQL: one snapshot, so the figures agree with each other
_SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"


@dataclass(frozen=True, slots=True)
class SessionLag:
    id: int
    title: str
    started_at: datetime
    lag: Lag


@dataclass(frozen=True, slots=True)
class AbTest:
    """An A/B test: a campaign's variants, or a drop's copy."""

    kind: str  # "campaign" or "drop copy"
    ref: int
    name: str
    verdict: Verdict


@dataclass(frozen=True, slots=True)
class Report:
    at: datetime
    lag: Lag  # every session pooled
    sessions: list[SessionLag]  # the most recent that went live, newest first
    drops: list[DropReport]
    repeat: RepeatRate
    buyer_churn: list[MonthChurn]
    member_churn: list[MonthChurn]
    cohorts: list[Cohort]
    weights: Weights
    attribution: list[Credit]
    uplift: Uplift
    tests: list[AbTest]
    memberships: MemberFigures
    pop_ups: list[PopUpStats]  # pickups per pop-up (core/popups/stats.py)


async def full_report(now: datetime, weights: Weights) -> Report:
    await up_to_date(
        BUYERS, COHORTS, BUYING, TAKING_PART, FUNNELS, COPY_ARMS, CAMPAIGN_ARMS, POOLED,
        attribution.rollup(weights),
    )  # fmt: skip
    if sql.on_sqlite():  # a transaction would hold the one connection every writer needs
        return await _report(now, weights)
    with frozen():  # a read-only snapshot: its figures as they stood when it began
        return await _snapshot(now, weights)


async def _snapshot(now: datetime, weights: Weights) -> Report:
    async with in_transaction():
        await sql.rows(_SNAPSHOT)
        return await _report(now, weights)


async def _report(now: datetime, weights: Weights) -> Report:
    return Report(
        now, await lag_after_sessions(), await _sessions(), await drop_reports(),
        await repeat_rate(),
        await buyer_churn(now), await member_churn(now), await cohorts(now),
        weights, await blended_attribution(weights), await recognition_uplift(now),
        await _campaign_tests() + [
            AbTest("drop copy", t.drop_id, t.title, t.verdict) for t in await copy_tests()
        ],
        await member_figures(now), await pop_up_stats(now),
    )  # fmt: skip


async def _sessions() -> list[SessionLag]:
    recent = (
        await LiveSession.filter(started_at__isnull=False)
        .order_by("-started_at")
        .limit(RECENT_SESSIONS)
    )
    return [
        SessionLag(s.id, s.title, s.started_at, await conversion_lag("session", s.id))
        for s in recent
        if s.started_at is not None
    ]


async def _campaign_tests() -> list[AbTest]:
    return [AbTest("campaign", ref, name, found) for ref, name, found in await ab_tests()]


def as_data(report: Report) -> dict[str, Any]:
    """Plain JSON-ready values: dates as ISO text, derived rates included."""
    data: dict[str, Any] = _plain(
        {
            "at": report.at,
            "lag": report.lag,
            "sessions": report.sessions,
            "drops": [{**asdict(d), "sell_through": d.sell_through} for d in report.drops],
            "repeat": {**asdict(report.repeat), "rate": report.repeat.rate},
            "buyer_churn": [{**asdict(m), "rate": m.rate} for m in report.buyer_churn],
            "member_churn": [{**asdict(m), "rate": m.rate} for m in report.member_churn],
            "cohorts": report.cohorts,
            "attribution": {"weights": report.weights, "rows": report.attribution},
            "uplift": {
                "difference": report.uplift.difference,
                "caveat": report.uplift.caveat,
                "cohorts": [
                    {"month": c.month, "crossed": asdict(c.crossed), "others": asdict(c.others)}
                    for c in report.uplift.cohorts
                ],
            },
            "tests": [_test(t) for t in report.tests],
            "memberships": _memberships(report.memberships),
            "pop_ups": report.pop_ups,
        }
    )
    return data


def tables(report: Report) -> dict[str, list[dict[str, Any]]]:
    """One flat table per metric, for CSV files."""
    return {
        "sessions": [
            {"session": s.id, "title": s.title, "started_at": s.started_at.isoformat(),
             "orders": s.lag.orders, "median_minutes": s.lag.median, "p90_minutes": s.lag.p90}
            for s in report.sessions
        ],
        "lag_histogram": [
            {"from_minute": start, "orders": n} for start, n in report.lag.histogram
        ],
        "drops": [{**asdict(d), "sell_through": d.sell_through} for d in report.drops],
        "pop_ups": [asdict(p) for p in report.pop_ups],
        "churn": [
            {"who": who, "month": m.month, "active": m.active, "churned": m.churned,
             "rate": m.rate}
            for who, months in (("buyers", report.buyer_churn), ("members", report.member_churn))
            for m in months
        ],
        "cohorts": [
            {"week": c.week.isoformat(), "currency": c.currency, "fans": c.fans,
             **{f"per_fan_{n}d": v for n, v in c.per_fan.items()}}
            for c in report.cohorts
        ],
        "attribution": [
            {**asdict(c), "weights": report.weights.describe()} for c in report.attribution
        ],
        "uplift": [
            {"month": c.month, "crossed_fans": c.crossed.fans, "crossed_rate": c.crossed.rate,
             "other_fans": c.others.fans, "other_rate": c.others.rate}
            for c in report.uplift.cohorts
        ],
        "tests": [
            {"kind": t.kind, "ref": t.ref, "name": t.name, "variant": a.label, "fans": a.fans,
             "converted": a.converted, "rate": round(a.rate, 4), "verdict": t.verdict.words}
            for t in report.tests for a in t.verdict.arms
        ],
        "member_plans": [asdict(p) for p in report.memberships.plans],
        "mrr": [asdict(m) for m in report.memberships.mrr],
        "member_months": [{**asdict(m), "rate": m.rate} for m in report.memberships.months],
        "member_trials": [
            {**asdict(report.memberships.trials), "rate": report.memberships.trials.rate}
        ] if report.memberships.trials.ended else [],
        "member_drop_revenue": [asdict(d) for d in report.memberships.drops],
        "ltv_90_days": [asdict(v) for v in report.memberships.ltv],
    }  # fmt: skip


def _memberships(figures: MemberFigures) -> dict[str, Any]:
    return {
        "plans": figures.plans,
        "mrr": figures.mrr,
        "months": [{**asdict(m), "rate": m.rate} for m in figures.months],
        "trials": {**asdict(figures.trials), "rate": figures.trials.rate},
        "drops": figures.drops,
        "ltv_90_days": figures.ltv,
    }


def _test(test: AbTest) -> dict[str, Any]:
    return {
        "kind": test.kind,
        "ref": test.ref,
        "name": test.name,
        "verdict": test.verdict.words,
        "p_value": test.verdict.p_value,
        "winner": test.verdict.winner,
        "arms": [
            {**asdict(a), "rate": round(a.rate, 4), "interval": a.interval()}
            for a in test.verdict.arms
        ],
    }


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "__dataclass_fields__"):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
