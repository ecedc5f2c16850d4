"""A Discord server with the bot in it: the real discord.py client connected to a fake
Discord, REST and gateway, on loopback (tests/peers/discord_api.py), and the people in it.
The `guild` fixture (conftest.py) is one such client on the test's database."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from adapters.memory import ManualClock, MemoryPayLinks, MemoryRefunds
from bots.bootstrap import App, bootstrap
from config import Settings
from core.app import Core
from core.drops.order_rows import PaymentReceived
from core.kinds import HoldStatus, Platform
from core.models import Attendance, PlatformAccount, Reservation
from core.money import Money
from tests.eventually import eventually
from tests.peers.discord_api import DiscordApi, Message

FAN, CREATOR = "500000000000000001", "600000000000000001"  # a fan, and the server's owner


@dataclass
class Guild:
    peer: DiscordApi
    app: App
    clock: ManualClock
    settings: Settings
    running: asyncio.Task[None]

    async def restart(self) -> None:
        """Stop the client and start a fresh one, as a redeploy does."""
        await self.app.close()
        await self.running
        self.app, self.running = await started(self.settings, self.clock)

    async def command(
        self, user: str, name: str, *options: dict[str, Any], **who: object
    ) -> Message:
        interaction = await self.peer.run_command(user, name, list(options), **who)
        return await self.peer.reply_to(interaction)

    async def press(self, user: str, message: Message, label: str) -> Message:
        interaction = await self.peer.press(user, message, message.button(label)["custom_id"])
        return await self.peer.reply_to(interaction)


async def started(settings: Settings, clock: ManualClock) -> tuple[App, asyncio.Task[None]]:
    """The bot's Discord client, connected and ready: `dropcast discord` as it starts."""
    app = bootstrap(settings, clock=clock, pay_links=MemoryPayLinks(), refunds=MemoryRefunds())
    assert app.discord is not None
    assert settings.discord_token is not None
    token = settings.discord_token.get_secret_value()
    running = asyncio.create_task(app.discord.start(token))
    await asyncio.wait_for(app.discord.wait_until_ready(), 10)
    return app, running


def option(name: str, value: object, kind: int = 3) -> dict[str, Any]:
    return {"name": name, "type": kind, "value": value}


async def pay(core: Core, fan: str) -> int:
    """What Stripe's webhook does once the fan paid their hold (see test_stripe_webhooks)."""
    account = await PlatformAccount.get(platform=Platform.DISCORD, platform_user_id=fan)
    hold = await Reservation.get(fan_id=account.fan_id, status=HoldStatus.HELD)
    payment = PaymentReceived(f"pi_{hold.id}", "stripe", hold.id, Money(2500, "EUR"))
    return (await core.payments.settle(payment)).id


async def listening(user: str, now: bool) -> PlatformAccount:
    """Voice events get no reply: wait until the bot has counted the listener in (or out)."""

    async def counted() -> PlatformAccount | None:
        account = await PlatformAccount.get_or_none(
            platform=Platform.DISCORD, platform_user_id=user
        )
        open_ = Attendance.filter(fan_id=account.fan_id if account else 0)
        if account and await open_.filter(listening_since__isnull=not now).exists():
            return account
        return None

    state = "in" if now else "out"
    return await eventually(counted, what=f"user {user} counted {state} as a listener")
