"""`dropcast plan stars-reconcile`: Telegram's Stars subscription charges against the
memberships (core/memberships/stars.py `reconcile`). Charges whose update was lost are
recorded; what Dropcast cannot put right (Telegram charging for a membership it thinks
ended) is listed, and the command exits with status 1 so a cron job can alert on it. The
clock process runs the same reconcile every few minutes."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from bots.wired import with_app
from core.memberships.star_charges import StarsReconciled

out = Console()


def stars_reconcile() -> None:
    """Record Stars renewals whose update was lost; list charges for ended memberships."""
    done: StarsReconciled = with_app(lambda app: app.core.stars_memberships.reconcile())
    out.print(
        f"{done.read} Stars subscription charges read; {done.healed} recorded now,"
        f" {done.refunded} of forgotten fans refunded.",
        highlight=False,
    )
    if not done.findings:
        return
    table = Table("kind", "fan", "what")
    for finding in done.findings:
        table.add_row(finding.kind.replace("_", " "), f"#{finding.fan_id}", finding.detail)
    out.print(table)
    raise typer.Exit(1)
