"""`dropcast link …`: short links of our own, with a QR code to show on air."""

from __future__ import annotations

import hashlib
from typing import Annotated

import typer
from rich.console import Console

from adapters import qr
from bots.bootstrap import App
from bots.wired import with_app
from core.errors import InvalidInput

app = typer.Typer(help="Tracked short links and their QR codes.", no_args_is_help=True)
out = Console(highlight=False)


@app.command()
def create(url: Annotated[str, typer.Argument(help="Where the link leads (https://…).")]) -> None:
    """A tracked short link for URL (the same one each time), with its QR code here and at
    /l/CODE.png and /l/CODE.svg."""

    async def shorten(wired: App) -> str:
        if not url.startswith(("https://", "http://")) or len(url) > 2000:
            raise InvalidInput(f"{url[:80]!r} is not a web address")
        ref = hashlib.sha256(url.encode()).hexdigest()[:32]
        return await wired.core.short_links.shorten(url, purpose="manual", ref=ref)

    short = with_app(shorten)
    out.print(short)
    out.print(qr.terminal(short), markup=False, end="")
    out.print(f"Image to show on air: {short}.png (or .svg)")
