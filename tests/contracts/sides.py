"""Each port's implementations as the contract tests meet them: the adapter under test
(`port`) and what a test may see of, or do to, the world behind it (the provider's sessions
and refunds, the fan's inbox, a fan blocking the bot). A side tells only what the
provider or the platform itself would show, so one test, written against the port's
docstrings in core/ports.py, runs unchanged over the memory adapter and the real one.

Amounts at Stripe are read back with the Checkout peer's own currency rules (written from
Stripe's pages, tests/peers/stripe_checkout.py), not with adapters/stripe/amounts.py, so a
wrong conversion there shows here."""

from __future__ import annotations

import itertools
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp
import discord
from telegram.error import NetworkError

from adapters.memory import MemoryMessenger, MemoryPayLinks, MemoryRefunds
from adapters.stripe.checkout import StripeApi
from adapters.stripe.refunds import StripeRefunds
from core import communities
from core.drops.views import DropView
from core.fans import fan_for
from core.kinds import Platform
from core.money import Money, minor_digits
from core.ports import Announcer, FanMessenger, PayLinks, Refunds
from tests.peers.discord_api import DROPS_CHANNEL, GUILD_ID, DiscordApi
from tests.peers.stripe_checkout import THREE_DECIMAL, ZERO_DECIMAL, StripeCheckoutPeer
from tests.peers.telegram_bot_api import BOT, TelegramBotApi

STRIPE_KEY = "sk_test_dropcast"


def free_port() -> int:
    """A loopback port nothing listens on: a provider or platform out of reach."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stripe_digits(currency: str) -> int:
    """Decimals of Stripe's amounts in `currency`, by the peer's reading of Stripe's pages."""
    code = currency.lower()
    return 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2


def from_stripe_units(amount: int, currency: str) -> Money:
    """An amount as Stripe counts it, as our Money."""
    code = currency.upper()
    shift = stripe_digits(code) - minor_digits(code)
    if shift < 0:
        return Money(amount * 10**-shift, code)
    minor, fraction = divmod(amount, 10**shift)
    assert fraction == 0, f"{amount} {code} at Stripe is not a whole {code} minor unit"
    return Money(minor, code)


def to_stripe_units(money: Money) -> int:
    shift = stripe_digits(money.currency) - minor_digits(money.currency)
    return money.minor * 10**shift if shift >= 0 else money.minor // 10**-shift


# pay links -----------------------------------------------------------------------------


class PayLinksSide(Protocol):
    port: PayLinks

    def links(self) -> int:
        """How many links the provider holds."""
        ...

    def charge(self, provider_ref: str) -> Money:
        """What paying the link takes, read back from the provider's own units."""
        ...

    def hold_of(self, provider_ref: str) -> int:
        """The hold the provider names when the link is paid (what the webhook reads)."""
        ...

    def takes_money(self, provider_ref: str) -> bool:
        """Whether a fan could still pay through the link."""
        ...

    async def pay(self, provider_ref: str) -> None:
        """The fan pays through the link."""
        ...


@dataclass
class MemoryPayLinksSide:
    """The sandbox's fans pay in process: a payment is only noted here."""

    port: MemoryPayLinks = field(default_factory=MemoryPayLinks)
    paid: set[str] = field(default_factory=set)

    def links(self) -> int:
        return len(self.port.created)

    def charge(self, provider_ref: str) -> Money:
        return self.port.created[provider_ref].price

    def hold_of(self, provider_ref: str) -> int:
        return self.port.created[provider_ref].hold_id

    def takes_money(self, provider_ref: str) -> bool:
        made = provider_ref in self.port.created
        return made and provider_ref not in self.port.cancelled | self.paid

    async def pay(self, provider_ref: str) -> None:
        assert self.takes_money(provider_ref)
        self.paid.add(provider_ref)


@dataclass
class StripeCheckoutSide:
    """`StripeCheckout` and the Checkout peer's sessions (localstripe behind it)."""

    port: PayLinks
    peer: StripeCheckoutPeer

    def links(self) -> int:
        return len(self.peer.sessions)

    def charge(self, provider_ref: str) -> Money:
        session = self.peer.sessions[provider_ref]
        return from_stripe_units(session["amount_total"], session["currency"])

    def hold_of(self, provider_ref: str) -> int:
        return int(self.peer.sessions[provider_ref]["client_reference_id"])

    def takes_money(self, provider_ref: str) -> bool:
        session = self.peer.sessions[provider_ref]
        return bool(
            session["status"] == "open"
            and session["expires_at"] > self.peer.clock.now().timestamp()
        )

    async def pay(self, provider_ref: str) -> None:
        await self.peer.complete(provider_ref)


# refunds ---------------------------------------------------------------------------------


class RefundsSide(Protocol):
    port: Refunds

    async def payment(self, amount: Money) -> str:
        """A payment a fan made at the provider; its id."""
        ...

    async def refunded(self, payment_id: str) -> list[Money]:
        """Each refund the provider made of the payment."""
        ...

    def out_of_reach(self) -> Refunds:
        """The same provider's refunds, asked while it cannot be reached (a process that
        lost its connection; the clock tries again later through `port`)."""
        ...


@dataclass
class MemoryRefundsSide:
    port: MemoryRefunds = field(default_factory=MemoryRefunds)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    async def payment(self, amount: Money) -> str:
        return f"pi_memory_{next(self._ids)}"

    async def refunded(self, payment_id: str) -> list[Money]:
        return [amount for paid, amount, _ in self.port.refunded if paid == payment_id]

    def out_of_reach(self) -> Refunds:
        return MemoryRefunds(refunded=self.port.refunded, failing=True)


@dataclass
class StripeRefundsSide:
    """`StripeRefunds` through the Checkout peer to localstripe, where payments are made."""

    port: Refunds
    api_base: str
    apis: list[StripeApi]  # closed when the test ends

    async def payment(self, amount: Money) -> str:
        params = {
            "amount": str(to_stripe_units(amount)),
            "currency": amount.currency.lower(),
            "payment_method": "pm_card_visa",
            "confirm": "true",
        }
        intent = await self._stripe("POST", "/v1/payment_intents", data=params)
        assert intent["status"] == "succeeded", intent
        return str(intent["id"])

    async def refunded(self, payment_id: str) -> list[Money]:
        query = {"payment_intent": payment_id, "limit": "100"}
        listing = await self._stripe("GET", "/v1/refunds", params=query)
        return [
            from_stripe_units(refund["amount"], refund["currency"])
            for refund in listing["data"]
            if refund["payment_intent"] == payment_id
        ]

    def out_of_reach(self) -> Refunds:
        api = StripeApi(STRIPE_KEY, f"http://127.0.0.1:{free_port()}")  # nothing listens
        self.apis.append(api)
        return StripeRefunds(api)

    async def _stripe(self, method: str, path: str, **request: Any) -> Any:
        auth = {"Authorization": f"Bearer {STRIPE_KEY}"}
        async with (
            aiohttp.ClientSession() as http,
            http.request(method, f"{self.api_base}{path}", headers=auth, **request) as reply,
        ):
            return await reply.json()


# the fans' messenger ---------------------------------------------------------------------


class MessengerSide(Protocol):
    port: FanMessenger
    platform: Platform  # where the fans made by `fan` have their account
    outage: type[Exception]  # what the port raises while the platform does not answer

    async def fan(self, name: str) -> int:
        """A fan with an account on the platform, who has not blocked the bot."""
        ...

    def blocks(self, fan_id: int) -> None:
        """The fan blocks the bot (Telegram), closes their DMs (Discord)."""
        ...

    def unblocks(self, fan_id: int) -> None: ...

    def received(self, fan_id: int) -> int:
        """How many direct messages reached the fan."""
        ...

    async def shows(self, drop: DropView) -> None:
        """The drop is where fans on the platform find it (posted, for Discord)."""
        ...

    def leads_to(self, url: str, drop: DropView) -> bool:
        """Whether a fan following `url` on the platform comes to the drop."""
        ...

    def down(self) -> AbstractAsyncContextManager[None]:
        """The platform does not answer, for as long as the context lasts."""
        ...


@dataclass
class MemoryMessengerSide:
    """A memory fan is a sandbox account: the memory messenger stands in for every
    platform's."""

    port: MemoryMessenger = field(default_factory=MemoryMessenger)
    platform: Platform = Platform.SANDBOX
    outage: type[Exception] = ConnectionError

    async def fan(self, name: str) -> int:
        return await fan_for(Platform.SANDBOX, name, name)

    def blocks(self, fan_id: int) -> None:
        self.port.unreachable.add(fan_id)

    def unblocks(self, fan_id: int) -> None:
        self.port.unreachable.discard(fan_id)

    def received(self, fan_id: int) -> int:
        return len(self.port.to(fan_id))

    async def shows(self, drop: DropView) -> None:
        pass

    def leads_to(self, url: str, drop: DropView) -> bool:
        return url == f"https://example.com/drops/{drop.id}"

    @asynccontextmanager
    async def down(self) -> AsyncIterator[None]:
        self.port.failing = True
        try:
            yield
        finally:
            self.port.failing = False


@dataclass
class TelegramSide:
    """`TelegramMessenger` as bots/telegram_wiring.py builds it, on the Bot API peer."""

    port: FanMessenger
    peer: TelegramBotApi
    platform: Platform = Platform.TELEGRAM
    outage: type[Exception] = NetworkError  # what python-telegram-bot raises for a 502
    users: dict[int, int] = field(default_factory=dict)  # fan id → Telegram user id

    async def fan(self, name: str) -> int:
        user = 2001 + len(self.users)
        fan_id = await fan_for(Platform.TELEGRAM, str(user), name)
        self.users[fan_id] = user
        return fan_id

    def blocks(self, fan_id: int) -> None:
        self.peer.blocked.add(self.users[fan_id])

    def unblocks(self, fan_id: int) -> None:
        self.peer.blocked.discard(self.users[fan_id])

    def received(self, fan_id: int) -> int:
        return len(self.peer.to(self.users[fan_id]))

    async def shows(self, drop: DropView) -> None:
        pass  # the bot's deep link opens any drop in the fan's chat with it

    def leads_to(self, url: str, drop: DropView) -> bool:
        """The deep link that starts the bot's chat on the drop (adapters/telegram/fans.py
        reads `drop_<code>`)."""
        return url == f"https://t.me/{BOT['username']}?start=drop_{drop.code}"

    @asynccontextmanager
    async def down(self) -> AsyncIterator[None]:
        self.peer.fail_next("sendMessage", 502, "Bad Gateway")
        try:
            yield
        finally:
            self.peer.failures.pop("sendMessage", None)


@dataclass
class DiscordSide:
    """`DiscordMessenger` as bots/discord_wiring.py builds it, on the Discord peer by REST
    alone (as the clock and web processes use it)."""

    port: FanMessenger
    announcer: Announcer
    peer: DiscordApi
    platform: Platform = Platform.DISCORD
    outage: type[Exception] = aiohttp.ClientConnectionError
    users: dict[int, str] = field(default_factory=dict)  # fan id → Discord user id

    async def fan(self, name: str) -> int:
        user = str(500_000_000_000_000_001 + len(self.users))
        fan_id = await fan_for(Platform.DISCORD, user, name)
        self.users[fan_id] = user
        return fan_id

    def blocks(self, fan_id: int) -> None:
        self.peer.closed_dms.add(self.users[fan_id])

    def unblocks(self, fan_id: int) -> None:
        self.peer.closed_dms.discard(self.users[fan_id])

    def received(self, fan_id: int) -> int:
        return len(self.peer.dms_to(self.users[fan_id]))

    async def shows(self, drop: DropView) -> None:
        await communities.choose_channel(Platform.DISCORD, GUILD_ID, "Fan Club", DROPS_CHANNEL)
        server = await communities.connect(Platform.DISCORD, GUILD_ID, "Fan Club")
        await self.announcer.announce(server.id, drop.announcement())

    def leads_to(self, url: str, drop: DropView) -> bool:
        """The drop's post in the server's channel, with a Buy button for each tier."""
        *_, guild, channel, message = url.split("/")
        posted = {m.id: m for m in self.peer.in_channel(channel)}.get(message)
        buys = {f"dropcast:buy:{tier.id}" for tier in drop.tiers}
        return bool(
            url.startswith("https://discord.com/channels/")
            and guild == GUILD_ID
            and posted is not None
            and buys <= {button.get("custom_id") for button in posted.buttons()}
        )

    @asynccontextmanager
    async def down(self) -> AsyncIterator[None]:
        """discord.py builds each request's address from `Route.BASE`: nothing listens
        there meanwhile."""
        with _route_base(f"http://127.0.0.1:{free_port()}/api/v10"):
            yield


@contextmanager
def _route_base(base: str) -> Iterator[None]:
    before = discord.http.Route.BASE
    discord.http.Route.BASE = base
    try:
        yield
    finally:
        discord.http.Route.BASE = before
