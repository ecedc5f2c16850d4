"""`dropcast popup …`: pop-ups where fans pick up what they bought (the commands of
bots/popup_staff_cli.py are on the same group)."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Pop-ups: pickup places and windows, passes, staff links and no-shows.",
    no_args_is_help=True,
)
