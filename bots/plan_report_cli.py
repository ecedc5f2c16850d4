"""`dropcast plan report`: the access report (core/memberships/access_report.py) as a table.
It exits with status 1 when there is something to look at, so a cron job or a monitor can
alert on it; 0 when every perk matches what is paid for."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from bots.wired import with_app
from core.memberships.access_report import AccessReport

out = Console()


def access_report() -> None:
    """Who holds perks nothing pays for, who pays and lacks them, and quiet webhooks."""
    report: AccessReport = with_app(lambda app: app.core.access.report())
    for note in report.notes:
        out.print(f"[dim]{note}[/]", highlight=False)
    if report.clean:
        out.print("Every perk matches what is paid for; Stripe is reporting renewals.")
        return
    table = Table("kind", "fan", "what")
    for mismatch in report.mismatches:
        fan = f"#{mismatch.fan_id}" if mismatch.fan_id is not None else "-"
        table.add_row(mismatch.kind.replace("_", " "), fan, mismatch.detail)
    out.print(table)
    out.print(f"{len(report.mismatches)} to look at.")
    raise typer.Exit(1)
