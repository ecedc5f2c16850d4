"""`dropcast drop link`: a drop's signed pay link (core/offer_links.py), with its QR code."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from adapters import qr
from bots.bootstrap import App
from bots.cli import MAX_ID
from bots.drop_cli import app
from bots.wired import with_app
from core.offer_links import MOST_DAYS, OfferLinks, Where

__all__ = ["app"]
out = Console(highlight=False)


@app.command()
def link(
    code: Annotated[str, typer.Argument(help="The drop's code (or its number).")],
    tier: Annotated[
        int | None,
        typer.Option(min=1, max=99, help="Open at this tier: 1 is the first `drop show` lists."),
    ] = None,
    campaign: Annotated[
        int | None, typer.Option(min=1, max=MAX_ID, help="Count its taps for this campaign.")
    ] = None,
    session: Annotated[
        int | None, typer.Option(min=1, max=MAX_ID, help="Count its taps for this live session.")
    ] = None,
    days: Annotated[
        int | None,
        typer.Option(
            min=1, max=MOST_DAYS, help="How long it works (default: until the drop closes, or 30)."
        ),
    ] = None,
) -> None:
    """A pay link to the drop's page to paste anywhere, with its QR code: it works without
    waiting on the database, and each tap is counted (`dropcast stats taps`)."""

    async def make(wired: App) -> str:
        offers = OfferLinks(wired.core.offers)
        where = Where(campaign_id=campaign, session_id=session)
        return await offers.for_drop(code, tier=tier, where=where, days=days)

    url = with_app(make)
    out.print(url)
    out.print(qr.terminal(url), markup=False, end="")
