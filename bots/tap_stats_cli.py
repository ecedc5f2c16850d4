"""`dropcast stats taps`: taps on each drop's signed pay links, by where they were given."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bots.stats_cli import app
from bots.wired import with_app
from core.analytics.offer_taps import tap_counts

__all__ = ["app"]
out = Console(highlight=False)


@app.command()
def taps(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object, for scripts.")] = False,
) -> None:
    """Taps on each drop's pay links (`dropcast drop link`), per campaign, live session or
    anywhere else; a tap shows here about a second after it happens."""
    found = with_app(lambda _: tap_counts())
    if as_json:
        typer.echo(json.dumps({"taps": [asdict(row) for row in found]}))
        return
    table = Table("drop", "given in", "taps", "known fans")
    for row in found:
        table.add_row(
            f"{row.drop_code} {row.title}".strip(), row.source or "anywhere",
            str(row.taps), str(row.known_fans),
        )  # fmt: skip
    out.print(table if found else "No pay link has been tapped yet.")
