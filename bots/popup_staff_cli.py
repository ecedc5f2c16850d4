"""`dropcast popup staff-link|pickups`: what the staff at a pop-up work with."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from adapters import pickup_sheets, qr
from bots.bootstrap import App
from bots.cli import RecordId
from bots.popup_cli import app
from bots.wired import with_app
from core.popups.pickup_list import PickupList, pickup_list
from core.popups.places import window
from core.popups.staff import LONGEST, StaffLink

__all__ = ["app"]
out = Console(highlight=False)


@app.command(name="staff-link")
def staff_link(
    pop_up_id: RecordId,
    name: Annotated[
        str, typer.Option(help="Who scans with it: shown on each pass they hand over.")
    ],
    hours: Annotated[
        int, typer.Option(min=1, max=LONGEST.days * 24, help="How long the link works.")
    ] = 12,
) -> None:
    """A link for one person at the pop-up: it opens the scan page on their phone (served by
    `dropcast web` at PUBLIC_BASE_URL), with its QR code to scan from this screen."""

    async def made(wired: App) -> tuple[StaffLink, str]:
        link = await wired.core.staff_links.make(pop_up_id, name, timedelta(hours=hours))
        return link, wired.settings.creator_timezone

    link, zone = with_app(made)
    out.print(link.url)
    out.print(qr.terminal(link.url), markup=False, end="")
    until = f"{link.staff.expires_at.astimezone(ZoneInfo(zone)):%a %d %b %H:%M}"
    said = f"For {link.staff.name} at {link.place}, until {until} {zone}. Keep it private:"
    out.print(said, markup=False)
    out.print("whoever opens it can mark passes collected.")


@app.command()
def pickups(
    pop_up_id: RecordId,
    csv: Annotated[Path | None, typer.Option(help="Write the list as CSV to this file.")] = None,
    pdf: Annotated[
        Path | None, typer.Option(help="Write the list as a PDF with tick boxes to this file.")
    ] = None,
) -> None:
    """Every pickup expected at the pop-up, by fan name, to check off on paper or keep for
    when the connection fails; a table here unless --csv or --pdf."""

    async def listed(_: App) -> PickupList:
        return await pickup_list(pop_up_id)

    found = with_app(listed)
    if csv:
        csv.write_text(pickup_sheets.csv_text(found), encoding="utf-8")
        out.print(f"Wrote {len(found.passes)} pickups to {csv}.")
    if pdf:
        pdf.write_bytes(pickup_sheets.pdf(found))
        out.print(f"Wrote {len(found.passes)} pickups to {pdf}.")
    if csv or pdf:
        return
    when = window(found.starts_at, found.ends_at, found.zone)
    table = Table(*pickup_sheets.COLUMNS, title=Text(f"{found.place}, {when}"))
    for row in pickup_sheets.rows(found):
        table.add_row(*map(Text, row))  # fans' names as written, never as markup
    out.print(table if found.passes else Text(f"No pickups expected at {found.place} yet."))
