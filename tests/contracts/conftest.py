"""One parametrized fixture per port, yielding each implementation of it in turn: the
memory adapter (tests, the offline sandbox) and the real one against its peer on loopback,
built as bots/ wires it. Each runs on the test's database (SQLite, and PostgreSQL when it
answers), which the real adapters use for fans' accounts and shared pacing.

localstripe starts once per test process (tests/conftest.py);
the Checkout, Telegram and Discord peers are fresh for each test, so nothing one test did
(a key kept, a fan blocked) is seen by the next."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from discord.http import Route

from adapters.memory import ManualClock
from adapters.stripe.checkout import StripeApi, StripeCheckout
from adapters.stripe.refunds import StripeRefunds
from bots.discord_wiring import connect_discord
from bots.telegram_wiring import connect_telegram
from config import load_settings
from tests.contracts.sides import (
    STRIPE_KEY,
    DiscordSide,
    MemoryMessengerSide,
    MemoryPayLinksSide,
    MemoryRefundsSide,
    MessengerSide,
    PayLinksSide,
    RefundsSide,
    StripeCheckoutSide,
    StripeRefundsSide,
    TelegramSide,
)
from tests.peers.discord_api import DiscordApi
from tests.peers.stripe_checkout import StripeCheckoutPeer
from tests.peers.telegram_bot_api import TelegramBotApi


@pytest.fixture
async def stripe_api(stripe_peer: tuple[StripeCheckoutPeer, str]) -> AsyncIterator[StripeApi]:
    api = StripeApi(STRIPE_KEY, stripe_peer[1])
    yield api
    await api.close()


@pytest.fixture(params=["memory", "stripe"])
def pay_links(request: pytest.FixtureRequest, db: str) -> PayLinksSide:
    side: PayLinksSide = (
        MemoryPayLinksSide()
        if request.param == "memory"
        else request.getfixturevalue("stripe_pay_links")
    )
    return side


@pytest.fixture(params=["memory", "stripe"])
def refunds(request: pytest.FixtureRequest, db: str) -> RefundsSide:
    side: RefundsSide = (
        MemoryRefundsSide()
        if request.param == "memory"
        else request.getfixturevalue("stripe_refunds")
    )
    return side


@pytest.fixture(params=["memory", "telegram", "discord"])
def messenger(request: pytest.FixtureRequest, db: str) -> MessengerSide:
    side: MessengerSide = (
        MemoryMessengerSide()
        if request.param == "memory"
        else request.getfixturevalue(f"{request.param}_messenger")
    )
    return side


# the real adapters, which the fixtures above ask for by name (an async fixture cannot ask
# for another by name while it runs, so they are chosen from plain ones)


@pytest.fixture
def stripe_pay_links(
    clock: ManualClock, stripe_peer: tuple[StripeCheckoutPeer, str], stripe_api: StripeApi
) -> StripeCheckoutSide:
    port = StripeCheckout(stripe_api, clock, "https://drops.example.com", ["US", "DE"])
    return StripeCheckoutSide(port, stripe_peer[0])


@pytest.fixture
async def stripe_refunds(
    stripe_peer: tuple[StripeCheckoutPeer, str], stripe_api: StripeApi
) -> AsyncIterator[StripeRefundsSide]:
    side = StripeRefundsSide(StripeRefunds(stripe_api), stripe_peer[1], [])
    yield side
    for unreachable in side.apis:
        await unreachable.close()


@pytest.fixture
async def telegram_messenger(db: str, clock: ManualClock) -> AsyncIterator[TelegramSide]:
    async with TelegramBotApi(now=lambda: clock.now().timestamp()) as peer:
        settings = load_settings(
            database_url=db, telegram_token=peer.token, telegram_api_base_url=peer.url
        )
        _, connected = connect_telegram(settings, clock)
        try:
            yield TelegramSide(connected.messenger, peer)
        finally:
            await connected.close()


@pytest.fixture
async def discord_messenger(
    db: str, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[DiscordSide]:
    # discord.py reads its REST address from a class attribute, which the client sets
    # (adapters/discord/client.py `point_at`): put back as it was after the test
    monkeypatch.setattr(Route, "BASE", Route.BASE)
    async with DiscordApi(now=lambda: clock.now().timestamp()) as peer:
        settings = load_settings(
            database_url=db, discord_token=peer.token, discord_api_base_url=peer.api_base
        )
        _, connected = connect_discord(settings)
        try:
            yield DiscordSide(connected.messenger, connected.announcer, peer)
        finally:
            await connected.close()
