"""Fixtures shared by every suite: a database per test (SQLite always, PostgreSQL when it
answers), a manual clock, and the application built by `bots.bootstrap` on memory adapters.

Logging is masked as in production (bots/logs.py) with every secret the suite configures,
and a test whose captured output or log records show one of them fails (invariant 7)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from adapters.memory import (
    ManualClock,
    MemoryAnnouncer,
    MemoryDesk,
    MemoryMessenger,
    MemoryPayLinks,
    MemoryPerks,
)
from bots.bootstrap import App, bootstrap
from bots.database import database
from bots.logs import configure_masked
from config import load_settings
from core.app import Core
from tests import databases
from tests.peers.localstripe import localstripe
from tests.peers.stripe_checkout import StripeCheckoutPeer
from tests.refund_calls import CountedRefunds
from tests.secrets import SECRETS

configure_masked(SECRETS, level=logging.INFO, file=None, json=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    for section, text in report.sections if report.when == "call" else ():
        if leaked := next((secret for secret in SECRETS if secret in text), None):
            report.outcome = "failed"
            report.longrepr = f"a configured secret ({leaked[:6]}…) reached {section}"
    return report


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
    refunds: CountedRefunds
    perks: MemoryPerks

    @property
    def core(self) -> Core:
        return self.app.core


@pytest.fixture
def world(db: str, clock: ManualClock) -> World:
    announcer, messenger = MemoryAnnouncer(), MemoryMessenger()
    pay_links, refunds, perks = MemoryPayLinks(), CountedRefunds(), MemoryPerks()
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


@pytest.fixture(scope="session")
def upstream() -> Iterator[str]:
    """localstripe, once per test process."""
    with localstripe() as url:
        yield url


@pytest.fixture
async def stripe_peer(clock, upstream) -> AsyncIterator[tuple[StripeCheckoutPeer, str]]:
    """Our Stripe peer (Checkout and Billing as Stripe answers them) in front of
    localstripe, fresh for each test, and its base URL (STRIPE_API_BASE)."""
    checkout = StripeCheckoutPeer(clock, upstream)
    server = TestServer(checkout.app, host="127.0.0.1")
    await server.start_server()
    yield checkout, str(server.make_url("")).rstrip("/")
    await server.close()
