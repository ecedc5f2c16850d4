"""`dropcast order …`: what was sold, what to ship, refunds (run on the server: the creator)."""

from __future__ import annotations

from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from bots.cli import RecordId
from bots.wired import with_app
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
    lines = with_app(lambda wired: wired.core.orders.list(to_ship=to_ship))
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
    """Refund a paid or flagged order through its payment provider."""
    show(with_app(lambda wired: wired.core.orders.refund(order_id, reason, restock=restock)))


def show(line: OrderLine) -> None:
    out.print(
        f"order #{line.id}: {line.title} / {line.tier_name}, {line.amount}, {line.status}"
        + (f", shipped {line.shipped_at:%Y-%m-%d}" if line.shipped_at else "")
    )
