"""The Discord bot as fans and creators use it: the real discord.py client, connected to a
fake Discord (REST and gateway) on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from adapters.memory import ManualClock, MemoryPayLinks, MemoryRefunds
from bots.bootstrap import App, bootstrap
from config import load_settings
from core.models import Community, Platform
from tests.builders import open_drop, tier
from tests.peers.discord_api import DROPS_CHANNEL, GUILD_ID, DiscordApi, Message

FAN, OTHER, CREATOR = "500000000000000001", "500000000000000002", "600000000000000001"


@dataclass
class Guild:
    peer: DiscordApi
    app: App
    clock: ManualClock

    async def command(self, user: str, name: str, *options: dict, **who: object) -> Message:
        interaction = await self.peer.run_command(user, name, list(options), **who)
        return await self.peer.reply_to(interaction)

    async def press(self, user: str, message: Message, label: str) -> Message:
        interaction = await self.peer.press(user, message, message.button(label)["custom_id"])
        return await self.peer.reply_to(interaction)


async def started(settings, clock: ManualClock) -> tuple[App, asyncio.Task[None]]:
    app = bootstrap(settings, clock=clock, pay_links=MemoryPayLinks(), refunds=MemoryRefunds())
    assert app.discord is not None
    token = settings.discord_token.get_secret_value()
    running = asyncio.create_task(app.discord.start(token))
    await asyncio.wait_for(app.discord.wait_until_ready(), 10)
    return app, running


@pytest.fixture
async def guild(db: str) -> AsyncIterator[Guild]:
    async with DiscordApi() as peer:
        settings = load_settings(
            database_url=db,
            discord_token=peer.token,
            discord_api_base_url=peer.api_base,
            discord_gateway_url=peer.gateway_url,
        )
        clock = ManualClock()
        app, running = await started(settings, clock)
        try:
            yield Guild(peer, app, clock)
        finally:
            await app.close()
            await running


def option(name: str, value: object, kind: int = 3) -> dict:
    return {"name": name, "type": kind, "value": value}


async def test_a_fan_sees_whats_on_and_buys_through_a_button(guild):
    await Community.create(
        platform=Platform.DISCORD, platform_ref=GUILD_ID, name="Fan Club",
        announce_channel_ref=DROPS_CHANNEL,
    )  # fmt: skip
    assert "Nothing is on" in (await guild.command(FAN, "drops")).text()
    drop = await open_drop(guild.app.core, tier(stock=2))
    await guild.app.core.drops.announce(drop.id)
    [post] = guild.peer.in_channel(DROPS_CHANNEL)
    assert "Open now" in post.text()
    held = await guild.press(FAN, post, "Buy Signed print")
    assert held.ephemeral
    assert "Held for you until" in held.text()
