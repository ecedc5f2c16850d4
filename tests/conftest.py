"""Fixtures shared by every suite: a database per test (SQLite always, PostgreSQL when it
answers), a manual clock, and the application built by `bots.bootstrap` on memory adapters."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.memory import (
    ManualClock,
    MemoryAnnouncer,
    MemoryDesk,
    MemoryMessenger,
    MemoryPayLinks,
    MemoryPerks,
    MemoryRefunds,
)
from bots.bootstrap import App, bootstrap
from bots.database import database
from config import load_settings
from core.app import Core
from tests import databases


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    url = databases.create_postgres()
    yield url
    if url is not None:
        databases.drop_postgres()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return databases.migrated_sqlite(tmp_path / "dropcast.sqlite3")
    url: str | None = request.getfixturevalue("postgres_url")
    if url is None:
        pytest.skip("no PostgreSQL server answers on 127.0.0.1:5432")
    asyncio.run(databases.truncate_postgres(url))
    return url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[str]:
    async with database(database_url):
        yield database_url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@dataclass
class World:
    """The application on memory adapters, with the adapters at hand to assert on."""

    app: App
    clock: ManualClock
    announcer: MemoryAnnouncer
    messenger: MemoryMessenger
    pay_links: MemoryPayLinks
    refunds: MemoryRefunds
    perks: MemoryPerks

    @property
    def core(self) -> Core:
        return self.app.core


@pytest.fixture
def world(db: str, clock: ManualClock) -> World:
    announcer, messenger = MemoryAnnouncer(), MemoryMessenger()
    pay_links, refunds, perks = MemoryPayLinks(), MemoryRefunds(), MemoryPerks()
    app = bootstrap(
        load_settings(database_url=db),
        clock=clock,
        announcer=announcer,
        messenger=messenger,
        desk=MemoryDesk(),
        pay_links=pay_links,
        refunds=refunds,
        perks=perks,
    )
    return World(app, clock, announcer, messenger, pay_links, refunds, perks)
