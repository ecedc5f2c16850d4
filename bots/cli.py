"""The `dropcast` command: one entry point for every process and every creator command."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

import typer
import uvloop
from rich.console import Console

from bots import database as db
from bots.logs import configure_logging
from config import Settings, SettingsError, load_settings
from core.errors import DropcastError

T = TypeVar("T")

app = typer.Typer(
    help="Dropcast: live sessions, countdown drops and pay links for your community.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)


def settings() -> Settings:
    """Load settings or end the process with one line naming what is wrong (exit 2)."""
    try:
        loaded = load_settings()
    except SettingsError as error:
        err.print(f"dropcast: {error}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    configure_logging(loaded)
    return loaded


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop: its network and thread hand-offs (every database call) cost less than
    asyncio's own, about 10% more webhooks per second (bench/webhooks.py)."""
    return uvloop.new_event_loop()


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; a refusal from the core is one line and exit 1."""
    try:
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            return runner.run(coro)
    except DropcastError as error:
        err.print(f"dropcast: {error}", markup=False, highlight=False)
        raise typer.Exit(1) from None


@app.command()
def migrate() -> None:
    """Apply the database migrations (safe to run on every deploy)."""
    config = settings()
    run_async(db.migrate(config.database_url))
    err.print(f"database migrated: {db.describe(config.database_url)}", highlight=False)


def main() -> None:
    from bots import (
        campaign_cli,
        dashboard_cli,
        drop_cli,
        fan_cli,
        link_cli,
        live_cli,
        order_cli,
        processes,
        sandbox_cli,
        stats_cli,
    )
    from bots.demo import cli as demo_cli

    app.add_typer(campaign_cli.app, name="campaign")
    app.add_typer(drop_cli.app, name="drop")
    app.add_typer(fan_cli.app, name="fan")
    app.command(name="export")(fan_cli.export)  # the same as `fan export` and `fan forget`
    app.command(name="forget")(fan_cli.forget)
    app.add_typer(link_cli.app, name="link")
    app.add_typer(live_cli.app, name="live")
    app.add_typer(order_cli.app, name="order")
    app.add_typer(stats_cli.app, name="stats")
    processes.register(app)
    sandbox_cli.register(app)
    demo_cli.register(app)
    dashboard_cli.register(app)
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
