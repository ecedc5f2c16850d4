"""`dropcast popup …`: pop-ups where fans pick up what they bought (the commands of
bots/popup_staff_cli.py are on the same group)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bots.bootstrap import App
from bots.cli import MAX_ID, RecordId
from bots.order_cli import show
from bots.popup_stats import print_pop_ups
from bots.wired import with_app
from core.errors import ProviderUnreachable
from core.orders import OrderLine
from core.popups.places import PopUpView, window
from core.popups.stats import PopUpStats, pop_up_stats
from core.times import known_zone, parse_when

app = typer.Typer(
    help="Pop-ups: pickup places and windows, passes, staff links and no-shows.",
    no_args_is_help=True,
)
out = Console(highlight=False)


@app.command()
def create(
    drop_id: RecordId,
    place: Annotated[str, typer.Option(help="Where: what fans read, up to 120 characters.")],
    starts: Annotated[
        str, typer.Option("--from", help='Start, in your timezone: "2026-12-12 14:00".')
    ],
    ends: Annotated[
        str, typer.Option("--to", help='End: "2026-12-12 18:00", or +4h from the start.')
    ],
    where: Annotated[
        str | None,
        typer.Option(
            "--zone",
            help="The place's time zone (Europe/Paris), if not CREATOR_TIMEZONE: --from and "
            "--to are read on its clock, and fans see the window on it.",
        ),
    ] = None,
) -> None:
    """A place and time window where fans pick up a drop's physical tiers instead of having
    them shipped; buyers choose at Buy. A drop may have several."""

    async def made(wired: App) -> PopUpView:
        now, zone = wired.core.clock.now(), known_zone(where or wired.settings.creator_timezone)
        starts_at = parse_when(starts, now=now, zone=zone)
        ends_at = parse_when(ends, now=now, zone=zone, relative_to=starts_at)
        return await wired.core.pop_ups.create(drop_id, place, starts_at, ends_at, zone=zone)

    made_one = with_app(made)
    when = window(made_one.starts_at, made_one.ends_at, made_one.zone)
    out.print(f"Pop-up #{made_one.id}: {made_one.place}, {when}.")
    out.print("Buyers of the drop's physical tiers can now choose to pick up there.")


@app.command(name="list")
def list_(drop_id: Annotated[int | None, typer.Argument(min=1, max=MAX_ID)] = None) -> None:
    """Every pop-up (of one drop, if given), earliest first, with its pickups so far."""

    async def listed(wired: App) -> list[PopUpStats]:
        return await pop_up_stats(wired.core.clock.now(), drop_id)

    print_pop_ups(out, with_app(listed))


@app.command()
def cancel(pop_up_id: RecordId) -> None:
    """Remove a pop-up no fan has chosen yet."""
    gone = with_app(lambda wired: wired.core.pop_ups.cancel(pop_up_id))
    out.print(f"Pop-up #{gone.id} at {gone.place} is cancelled.")


@app.command(name="no-shows")
def no_shows(pop_up_id: RecordId) -> None:
    """After a pop-up's window: the passes never collected, and what became of each."""
    found = with_app(lambda wired: wired.core.no_shows.of_pop_up(pop_up_id))
    table = Table("order", "pass", "fan", "tier", "told", "resolution")
    for each in found:
        table.add_row(
            str(each.order_id), str(each.pass_id), each.fan, each.tier_name,
            "yes" if each.reminded_at else "not yet",
            each.resolution or f"- (ship or refund it: dropcast popup ship|refund {each.order_id})",
        )  # fmt: skip
    out.print(table if found else f"No no-shows at pop-up #{pop_up_id}: everyone came.")


@app.command()
def ship(
    pass_or_order: Annotated[
        str, typer.Argument(help="The order number, or the pass's code or link.")
    ],
    address: Annotated[str, typer.Option(help="Where to ship it, in one line.")],
) -> None:
    """Ship a no-show's order instead: the address is recorded on the order, which is
    marked shipped (the fan is told it is on its way)."""
    show(with_app(lambda wired: wired.core.no_shows.ship(pass_or_order, address)))


@app.command()
def refund(
    pass_or_order: Annotated[
        str, typer.Argument(help="The order number, or the pass's code or link.")
    ],
) -> None:
    """Refund a no-show's order through its payment provider (the fan is told)."""

    async def refunded(wired: App) -> tuple[OrderLine, str]:
        try:
            return await wired.core.no_shows.refund(pass_or_order), ""
        except ProviderUnreachable as waiting:
            return await wired.core.orders.get(
                await wired.core.no_shows.order_of(pass_or_order)
            ), str(waiting)

    line, waiting = with_app(refunded)
    show(line)
    if waiting:
        out.print(f"[yellow]The money has not moved yet: {waiting}. `dropcast run` retries it.[/]")
