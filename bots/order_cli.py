"""`dropcast order …`: what was sold, what to ship, refunds (run on the server: the creator)."""

from __future__ import annotations

from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from adapters.unconfigured import UnconfiguredRefunds
from bots.bootstrap import App
from bots.cli import RecordId
from bots.wired import with_app
from core.errors import ProviderUnreachable
from core.orders import OrderLine

T = TypeVar("T")
app = typer.Typer(help="See orders, mark them shipped, refund them.", no_args_is_help=True)
out = Console()


@app.command(name="list")
def list_(
    to_ship: Annotated[
        bool, typer.Option(help="Only paid physical orders not yet shipped.")
    ] = False,
) -> None:
    """Orders, oldest first, with where physical ones ship to."""

    async def listed(wired: App) -> tuple[list[OrderLine], list[str]]:
        return await wired.core.orders.list(to_ship=to_ship), unset_refunds(wired)

    lines, unset = with_app(listed)
    table = Table("id", "when", "drop", "tier", "fan", "amount", "status", "ships to", "sent")
    for line in lines:
        sent = line.shipped_at or line.delivered_at
        table.add_row(
            str(line.id), f"{line.created_at:%Y-%m-%d %H:%M}", line.title, line.tier_name,
            line.fan, str(line.amount), line.status, line.ships_to or "-",
            f"{sent:%Y-%m-%d}" if sent else "-",
        )  # fmt: skip
    out.print(table if lines else "No orders to show.")
    flagged = [str(line.id) for line in lines if line.status == "flagged"]
    if flagged:
        out.print(
            f"[yellow]Flagged (paid an amount that is not the price, not fulfilled): "
            f"{', '.join(flagged)}.[/] Refund each with `dropcast order refund ID`."
        )
    pending = [str(line.id) for line in lines if line.status == "refund_pending"]
    if pending:
        out.print(
            f"[yellow]Refund pending (the money has not moved yet): {', '.join(pending)}.[/]"
            + "".join(f" {setting} is not set." for setting in unset)
        )


@app.command()
def ship(order_id: RecordId) -> None:
    """Mark a physical order shipped; the fan is told it is on its way."""
    show(with_app(lambda wired: wired.core.orders.ship(order_id)))


@app.command()
def refund(
    order_id: RecordId,
    reason: Annotated[str, typer.Option(help="What the fan is told.")] = "refunded by the creator",
    restock: Annotated[bool, typer.Option(help="Put the unit back on sale.")] = False,
) -> None:
    """Refund a paid or flagged order through its payment provider. A provider that is not
    set up or not answering leaves the order refund_pending, and the fan untold, until the
    clock's retry gets through (core/drops/payments.py)."""

    async def refunded(wired: App) -> tuple[OrderLine, str]:
        try:
            return await wired.core.orders.refund(order_id, reason, restock=restock), ""
        except ProviderUnreachable as waiting:
            return await wired.core.orders.get(order_id), str(waiting)

    line, waiting = with_app(refunded)
    show(line)
    if waiting:
        out.print(
            f"[yellow]The money has not moved yet: {waiting}. The fan is told once it has; "
            "`dropcast run` retries the refund.[/]"
        )


def unset_refunds(wired: App) -> list[str]:
    """The settings that refunds wait for (adapters/unconfigured.py)."""
    return sorted(
        {port.setting for port in wired.refunds.values() if isinstance(port, UnconfiguredRefunds)}
    )


def show(line: OrderLine) -> None:
    out.print(
        f"order #{line.id}: {line.title} / {line.tier_name}, {line.amount}, {line.status}"
        + (f", shipped {line.shipped_at:%Y-%m-%d}" if line.shipped_at else "")
    )
