"""`dropcast token …`: the creator's perk tokens (README: Perk tokens)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console

from bots.bootstrap import App
from bots.cli import RecordId
from bots.token_stats import print_sets
from bots.wired import with_app
from core.perk_tokens.figures import SetFigures, set_figures
from core.perk_tokens.minting import MOST_TOKENS, MintSpec
from core.perk_tokens.rules import HOW, Rule
from core.times import parse_when

app = typer.Typer(help="Mint, draw and follow perk tokens.", no_args_is_help=True)
out = Console(highlight=False)


@app.command()
def mint(
    name: Annotated[str, typer.Argument(help="What fans see, e.g. 'Night owls'.")],
    perk: Annotated[
        str,
        typer.Option(help="early_access, member_price, shout_out, or perk (with --perk-name)."),
    ],
    count: Annotated[int, typer.Option(min=1, max=MOST_TOKENS, help="N: tokens #1..#N.")],
    to: Annotated[str, typer.Option(help=f"Who gets them: {HOW}.")],
    expires: Annotated[
        str, typer.Option(help="When unredeemed tokens expire: ISO 8601 or +14d.")
    ] = "+7d",
    window_days: Annotated[
        int | None, typer.Option(min=1, max=90, help="The perk lasts this long from redeeming.")
    ] = None,
    window_from: Annotated[
        str | None, typer.Option(help="Or a fixed window: its start (ISO 8601 or +5d)…")
    ] = None,
    window_until: Annotated[str | None, typer.Option(help="…and its end.")] = None,
    perk_name: Annotated[
        str | None, typer.Option(help="The perk a `perk` token gives (named in a bot).")
    ] = None,
    early_minutes: Annotated[
        int, typer.Option(min=1, help="Early access: how long before a drop opens.")
    ] = 60,
) -> None:
    """Mint N numbered tokens and give them by the rule (a giveaway: when its session ends)."""

    async def action(wired: App) -> SetFigures:
        now, zone = wired.core.clock.now(), wired.settings.creator_timezone

        def when(text: str | None) -> datetime | None:
            return parse_when(text, now=now, zone=zone) if text else None

        spec = MintSpec(
            name, perk.strip().lower(), count, Rule.from_words(to),
            parse_when(expires, now=now, zone=zone),
            window_days if window_days or window_from or window_until else 7,
            when(window_from), when(window_until), perk_name, early_minutes,
        )  # fmt: skip
        return await wired.core.tokens.minting.mint(spec)

    print_sets(out, [with_app(action)])


@app.command()
def draw(set_id: RecordId) -> None:
    """Draw a giveaway whose session ended (done by itself when it ends), once."""
    print_sets(out, [with_app(lambda wired: wired.core.tokens.minting.draw(set_id))])


@app.command(name="list")
def list_() -> None:
    """Every set: minted, claimed, unclaimed, gifted, redeemed and expired."""
    print_sets(out, with_app(lambda _: set_figures()))
