"""`dropcast dashboard`: a one-time link to the creator's dashboard, from the server."""

from __future__ import annotations

import typer

from bots.wired import with_app


def register(app: typer.Typer) -> None:
    app.command()(dashboard)


def dashboard() -> None:
    """Print a link that opens the dashboard once, within 15 minutes (served by `dropcast
    web` at PUBLIC_BASE_URL)."""
    typer.echo(with_app(lambda wired: wired.core.dashboard.new_link()))
