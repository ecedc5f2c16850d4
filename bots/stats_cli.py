"""`dropcast stats`: the whole report (rich tables, `--json`, `--csv DIR`), and one metric
at a time (`stats lag|buyers|drops|members|popups`)."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from adapters.wording import funnel_step
from bots.bootstrap import App, weights
from bots.cli import CANNOT_RUN, MAX_ID, fail
from bots.member_stats import print_members
from bots.popup_stats import print_pop_ups
from bots.wired import with_app
from core.analytics.buyers import WINDOWS, Cohort
from core.analytics.churn import MonthChurn
from core.analytics.drops import DropReport
from core.analytics.lag import BUCKET_MINUTES, Lag, conversion_lag
from core.analytics.report import Report, as_data, full_report, tables
from core.money import Money
from core.popups.stats import PopUpStats, pop_up_stats

app = typer.Typer(
    help="Metrics from your drops, sessions and campaigns. With no command: the whole report.",
    invoke_without_command=True,
)
out = Console(highlight=False)


async def _report(wired: App) -> Report:
    now = wired.core.clock.now()
    return await full_report(now, weights(wired.settings))


@app.callback()
def everything(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object, for scripts.")] = False,
    csv_dir: Annotated[
        Path | None, typer.Option("--csv", help="Write one CSV file per table into this folder.")
    ] = None,
) -> None:
    """Every metric: live sessions' conversion lag, drops' funnels, buyers and members
    (repeat rate, churn, cohort LTV), memberships (members, MRR, churn, trials, LTV),
    blended attribution with its weights, recognition uplift with its caveat, and every A/B
    test's verdict."""
    if ctx.invoked_subcommand is not None:
        return
    found: Report = with_app(_report)
    if as_json:
        typer.echo(json.dumps(as_data(found)))
    elif csv_dir is not None:
        _write_csv(found, csv_dir)
    else:
        _show(found)


def _write_csv(found: Report, folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, rows in tables(found).items():
            path = folder / f"{name}.csv"
            with path.open("w", newline="") as file:
                if rows:
                    writer = csv.DictWriter(file, fieldnames=list(rows[0]))
                    writer.writeheader()
                    writer.writerows(rows)
            out.print(f"{path}: {len(rows)} rows")
    except OSError as error:
        fail(f"cannot write the CSV files into {folder}: {error.strerror}; name a folder "
             "you can write to", CANNOT_RUN)  # fmt: skip


def _show(found: Report) -> None:
    out.rule("Live sessions: minutes from going live to each paid order (24 h)")
    pooled = found.lag
    out.print(
        f"All sessions: {pooled.orders} paid orders; median {_minutes(pooled.median)}, "
        f"90% within {_minutes(pooled.p90)}"
    )
    _histogram(pooled)
    sessions = Table("session", "orders", "median", "90% within")
    for s in found.sessions:
        sessions.add_row(
            f"#{s.id} {s.title}", str(s.lag.orders), _minutes(s.lag.median), _minutes(s.lag.p90)
        )
    out.print(sessions if found.sessions else "No session has gone live yet.")
    out.rule("Drops")
    _drops(found.drops)
    out.rule("Buyers and members")
    _repeat_and_cohorts(found)
    _churn("buyers", found.buyer_churn)
    _churn("members", found.member_churn)
    out.rule("Memberships")
    print_members(out, found.memberships)
    out.rule("Blended attribution")
    out.print(f"Weights: {found.weights.describe()}")
    credit = Table("currency", "orders", "revenue", "live", "campaign DMs", "organic")
    for c in found.attribution:

        def cell(minor: int, orders: float, cur: str = c.currency) -> str:
            return f"{Money(minor, cur)} ({orders:g} orders)"

        credit.add_row(
            c.currency, str(c.orders), str(Money(c.revenue, c.currency)),
            cell(c.live, c.live_orders), cell(c.dm, c.dm_orders),
            cell(c.organic, c.organic_orders),
        )  # fmt: skip
    out.print(credit if found.attribution else "No paid orders yet.")
    out.rule("Recognition uplift")
    _uplift(found)
    out.rule("A/B tests")
    for test in found.tests:
        arms = ", ".join(
            f"{a.label} {a.converted}/{a.fans} ({a.rate:.0%})" for a in test.verdict.arms
        )
        out.print(f"{test.kind} #{test.ref} {test.name}: {arms}. {test.verdict.words}")
    if not found.tests:
        out.print("No A/B test yet: campaigns with --text twice, or dropcast drop copy.")


def _uplift(found: Report) -> None:
    uplift = found.uplift
    if uplift.difference is None:
        out.print(
            "Not enough buyers on both sides of a tier, in a month that is over, to compare "
            f"yet. {uplift.caveat}"
        )
        return
    table = Table("first bought", "reached a tier", "bought again", "others", "bought again")
    for c in uplift.cohorts:
        table.add_row(
            c.month, str(c.crossed.fans), _share(c.crossed.rate), str(c.others.fans),
            _share(c.others.rate),
        )  # fmt: skip
    out.print(table)
    out.print(
        f"Fans who reached a tier bought again {uplift.difference * 100:+.0f} percentage points "
        f"more often than fans who first bought in the same month and did not. {uplift.caveat}"
    )


def _share(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def _minutes(value: float | None) -> str:
    return "-" if value is None else f"{value:g} min"


@app.command()
def lag(
    session: Annotated[
        int | None, typer.Option(min=1, max=MAX_ID, help="From live session #N going live.")
    ] = None,
    drop: Annotated[
        int | None, typer.Option(min=1, max=MAX_ID, help="From drop #N opening.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object, for scripts.")] = False,
) -> None:
    """Minutes from going live (or a drop's opening) to each paid order, in the 24 hours
    after: median, 90th percentile and a histogram."""
    if (session is None) == (drop is None):
        fail("give one of --session N or --drop N", CANNOT_RUN)
    kind, ref = ("session", session) if session is not None else ("drop", drop)
    assert ref is not None
    found: Lag = with_app(lambda _: conversion_lag(kind, ref))
    if as_json:
        typer.echo(json.dumps(asdict(found)))
        return
    out.print(
        f"{found.orders} paid orders; median {_minutes(found.median)}, "
        f"90% within {_minutes(found.p90)}"
    )
    _histogram(found)


def _histogram(found: Lag) -> None:
    table = Table("minutes", "orders", "")
    widest = max((n for _, n in found.histogram), default=1)
    for start, count in found.histogram:
        bar = "█" * max(1, round(30 * count / widest))
        table.add_row(f"{start} to {start + BUCKET_MINUTES}", str(count), bar)
    if found.histogram:
        out.print(table)


@app.command()
def buyers(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object, for scripts.")] = False,
) -> None:
    """The repeat-buyer rate, monthly churn of buyers and of members, and revenue per fan
    within 7, 30, 60 and 90 days of their first order, by the week of that first order
    ("…" where the window is not over yet)."""
    found: Report = with_app(_report)
    if as_json:
        data = as_data(found)
        keys = ("repeat", "buyer_churn", "member_churn", "cohorts")
        typer.echo(json.dumps({key: data[key] for key in keys}))
        return
    _repeat_and_cohorts(found)
    _churn("buyers", found.buyer_churn)
    _churn("members", found.member_churn)


def _repeat_and_cohorts(found: Report) -> None:
    rate = found.repeat
    bought_again = f"{rate.repeat_buyers} of {rate.buyers} buyers bought again"
    out.print(f"{bought_again} ({_share(rate.rate)})" if rate.buyers else "No buyers yet.")
    _cohorts(found.cohorts)


def _churn(who: str, months: list[MonthChurn]) -> None:
    for month in months:
        out.print(
            f"{month.month}: {month.churned} of {month.active} {who} were not back the month "
            f"after ({month.rate:.0%} churn)"
        )


def _cohorts(found: list[Cohort]) -> None:
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
def members(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object, for scripts.")] = False,
) -> None:
    """Memberships: active members per plan, MRR per currency, new, churned and reactivated
    members by month (UTC) with the churn rate, trial-to-paid conversion, members' drop
    revenue against non-members', and 90-day LTV of members against one-time buyers."""
    found: Report = with_app(_report)
    if as_json:
        typer.echo(json.dumps({"memberships": as_data(found)["memberships"]}))
        return
    print_members(out, found.memberships)


@app.command()
def drops(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object, for scripts.")] = False,
) -> None:
    """Each drop that opened: units sold of its stock, minutes from opening to sold out, and
    its funnel in fans: reached by campaign DMs, tapped a link to it, held a unit, paid."""
    found: Report = with_app(_report)
    if as_json:
        typer.echo(json.dumps({"drops": as_data(found)["drops"]}))
        return
    _drops(found.drops)


@app.command()
def popups(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object, for scripts.")] = False,
) -> None:
    """Pickups per pop-up: expected, collected, no-shows and the no-show rate once the window
    has ended, and the no-shows shipped or refunded after."""

    async def found(wired: App) -> list[PopUpStats]:
        return await pop_up_stats(wired.core.clock.now())

    stats = with_app(found)
    if as_json:
        typer.echo(json.dumps({"pop_ups": [asdict(p) for p in stats]}, default=str))
        return
    print_pop_ups(out, stats)


def _drops(found: list[DropReport]) -> None:
    table = Table("drop", "sold", "sold out after", "reached", "tapped", "held", "paid")
    for drop in found:
        table.add_row(
            f"#{drop.id} {drop.title}", f"{drop.sold}/{drop.stock} ({drop.sell_through:.0%})",
            _minutes(drop.minutes_to_sell_out), funnel_step(drop.reached, None),
            funnel_step(drop.tapped, drop.reached),
            funnel_step(drop.held, drop.tapped or drop.reached), funnel_step(drop.paid, drop.held),
        )  # fmt: skip
    out.print(table if found else "No drop has opened yet.")
