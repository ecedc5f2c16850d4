"""Running one creator command (`dropcast drop|order|fan …`) against the wired application."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from bots.bootstrap import App, bootstrap
from bots.cli import run_async, settings
from bots.database import database, require_migrated

T = TypeVar("T")


def with_app(action: Callable[[App], Awaitable[T]]) -> T:
    """The database open and the application built, for as long as `action` runs. A
    database `dropcast migrate` has not brought up to date is refused, not migrated: only
    `migrate` changes the schema (bots/database.py)."""
    config = settings()

    async def run() -> T:
        await require_migrated(config.database_url)
        async with database(config.database_url):
            wired = bootstrap(config)
            try:
                return await action(wired)
            finally:
                await wired.close()

    return run_async(run())
