"""Running one creator command (`dropcast drop|order|fan …`) against the wired application."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from bots.bootstrap import App, bootstrap
from bots.cli import run_async, settings
from bots.database import database, migrate

T = TypeVar("T")


def with_app(action: Callable[[App], Awaitable[T]]) -> T:
    """The database migrated and open, the application built, for as long as `action` runs."""
    config = settings()
    run_async(migrate(config.database_url))

    async def run() -> T:
        async with database(config.database_url):
            wired = bootstrap(config)
            try:
                return await action(wired)
            finally:
                await wired.close()

    return run_async(run())
