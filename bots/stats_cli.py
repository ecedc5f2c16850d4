"""`dropcast stats …`: what the data says (issue 9 builds the rest of the report)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bots.bootstrap import App
from bots.wired import with_app
from core.analytics.buyers import WINDOWS, Cohort, RepeatRate, cohorts, repeat_rate
from core.analytics.churn import MonthChurn, buyer_churn
from core.analytics.drops import DropReport, drop_reports
from core.analytics.lag import BUCKET_MINUTES, Lag, conversion_lag
from core.money import Money

app = typer.Typer(help="Metrics from your drops, sessions and campaigns.", no_args_is_help=True)
out = Console(highlight=False)


@app.command()
def lag(
    session: Annotated[int | None, typer.Option(help="From live session #N going live.")] = None,
    drop: Annotated[int | None, typer.Option(help="From drop #N opening.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object, for scripts.")] = False,
) -> None:
    """Minutes from going live (or a drop's opening) to each paid order, in the 24 hours
    after: median, 90th percentile and a histogram."""
    if (session is None) == (drop is None):
        out.print("Give --session N or --drop N.")
        raise typer.Exit(2)
    kind, ref = ("session", session) if session is not None else ("drop", drop)
    assert ref is not None
    found: Lag = with_app(lambda _: conversion_lag(kind, ref))
    if as_json:
        out.print(json.dumps(asdict(found)), markup=False)
        return
    out.print(
        f"{found.orders} paid orders; median {_minutes(found.median)}, "
        f"90% within {_minutes(found.p90)}"
    )
    table = Table("minutes", "orders", "")
    widest = max((n for _, n in found.histogram), default=1)
    for start, count in found.histogram:
        bar = "█" * max(1, round(30 * count / widest))
        table.add_row(f"{start} to {start + BUCKET_MINUTES}", str(count), bar)
    if found.histogram:
        out.print(table)


def _minutes(value: float | None) -> str:
    return "-" if value is None else f"{value:g} min"


@app.command()
def buyers(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object, for scripts.")] = False,
) -> None:
    """The repeat-buyer rate, monthly churn of buyers, and revenue per fan within 7, 30, 60
    and 90 days of their first order, by the week of that first order ("…" where the window
    is not over yet)."""

    async def measure(wired: App) -> tuple[RepeatRate, list[MonthChurn], list[Cohort]]:
        now = wired.core.clock.now()
        return await repeat_rate(), await buyer_churn(now), await cohorts(now)

    rate, churn, found = with_app(measure)
    if as_json:
        rows = [{**asdict(c), "week": c.week.isoformat()} for c in found]
        months = [{**asdict(m), "rate": m.rate} for m in churn]
        repeat = {**asdict(rate), "rate": rate.rate}
        out.print(json.dumps({"repeat": repeat, "churn": months, "cohorts": rows}))
        return
    share = "-" if rate.rate is None else f"{rate.rate:.0%}"
    out.print(f"{rate.repeat_buyers} of {rate.buyers} buyers bought again ({share})")
    for month in churn:
        out.print(
            f"{month.month}: {month.churned} of {month.active} buyers did not buy the month "
            f"after ({month.rate:.0%} churn)"
        )
    table = Table("first week", "fans", *(f"{n} days" for n in WINDOWS))
    for cohort in found:
        cells = [
            "…" if value is None else str(Money(value, cohort.currency))
            for value in cohort.per_fan.values()
        ]
        table.add_row(cohort.week.isoformat(), str(cohort.fans), *cells)
    if found:
        out.print(table)


@app.command()
def drops(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object, for scripts.")] = False,
) -> None:
    """Each drop that opened: units sold of its stock, minutes from opening to sold out, and
    its funnel in fans: reached by campaign DMs, tapped a link to it, held a unit, paid."""
    found: list[DropReport] = with_app(lambda _: drop_reports())
    if as_json:
        rows = [{**asdict(r), "sell_through": r.sell_through} for r in found]
        out.print(json.dumps({"drops": rows}))
        return
    table = Table("drop", "sold", "sold out after", "reached", "tapped", "held", "paid")
    for drop in found:
        table.add_row(
            f"#{drop.id} {drop.title}", f"{drop.sold}/{drop.stock} ({drop.sell_through:.0%})",
            _minutes(drop.minutes_to_sell_out), str(drop.reached), str(drop.tapped),
            str(drop.held), str(drop.paid),
        )  # fmt: skip
    out.print(table if found else "No drop has opened yet.")
