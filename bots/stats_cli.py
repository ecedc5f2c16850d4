"""`dropcast stats …`: what the data says (issue 9 builds the rest of the report)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bots.wired import with_app
from core.analytics.lag import BUCKET_MINUTES, Lag, conversion_lag

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
