"""A creator on Telegram and Discord at once: one process runs both bots, and a fan who uses
both links their accounts into one fan."""

from __future__ import annotations

import asyncio
import os
import sys
from asyncio.subprocess import PIPE
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import ClientSession

from adapters.memory import ManualClock
from bots.bootstrap import App
from config import load_settings
from tests.builders import open_drop, tier
from tests.peers.discord_api import DiscordApi
from tests.peers.telegram_bot_api import TelegramBotApi
from tests.scenario.test_discord import pay, started
from tests.scenario.test_telegram import polling
from tests.scenario.web_client import free_port

ON_TELEGRAM, ON_DISCORD = 2002, "500000000000000001"


@dataclass
class Both:
    telegram: TelegramBotApi
    discord: DiscordApi
    app: App


@pytest.fixture
async def both(db: str) -> AsyncIterator[Both]:
    async with TelegramBotApi() as telegram, DiscordApi() as discord:
        settings = load_settings(
            database_url=db,
            telegram_token=telegram.token,
            telegram_api_base_url=telegram.url,
            discord_token=discord.token,
            discord_api_base_url=discord.api_base,
            discord_gateway_url=discord.gateway_url,
        )
        app, running = await started(settings, ManualClock())
        async with polling(app, settings):
            yield Both(telegram, discord, app)
        await app.close()
        await running


async def telegram_says(both: Both, text: str) -> str:
    before = len(both.telegram.to(ON_TELEGRAM))
    await both.telegram.user_sends(ON_TELEGRAM, text)
    await both.telegram.wait_for(lambda: len(both.telegram.to(ON_TELEGRAM)) > before)
    return both.telegram.to(ON_TELEGRAM)[before].text


async def test_a_fan_links_telegram_and_discord_and_sees_one_history(both):
    drop = await open_drop(both.app.core, tier(stock=3))
    bought = await both.discord.run_command(
        ON_DISCORD, "buy", [{"name": "item", "type": 3, "value": str(drop.tiers[0].id)}]
    )
    assert "Held for you" in (await both.discord.reply_to(bought)).text()
    await pay(both, ON_DISCORD)  # type: ignore[arg-type]
    asked = await telegram_says(both, "/link")
    code = asked.split("Your link code is ")[1][:8]
    assert "send /link" in asked
    wrong = await both.discord.run_command(
        ON_DISCORD, "link", [{"name": "code", "type": 3, "value": "WRONG123"}]
    )
    assert (
        "Not linked: 'WRONG123' is not a link code" in (await both.discord.reply_to(wrong)).text()
    )
    linked = await both.discord.run_command(
        ON_DISCORD, "link", [{"name": "code", "type": 3, "value": code}]
    )
    assert "Linked" in (await both.discord.reply_to(linked)).text()
    me = await telegram_says(both, "/me")
    assert "Winter drop, Signed print: 25.00 EUR (paid)" in me
    assert me.startswith("You are a supporter, with 70 points.")


async def test_dropcast_run_serves_the_web_and_both_bots_in_one_process(database_url, tmp_path):
    async with TelegramBotApi() as telegram, DiscordApi() as discord:
        port = free_port()
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "DATABASE_URL": database_url,
            "PORT": str(port),
            "TELEGRAM_TOKEN": telegram.token,
            "TELEGRAM_API_BASE_URL": telegram.url,
            "DISCORD_TOKEN": discord.token,
            "DISCORD_API_BASE_URL": discord.api_base,
            "DISCORD_GATEWAY_URL": discord.gateway_url,
        }
        dropcast = str(Path(sys.executable).parent / "dropcast")
        process = await asyncio.create_subprocess_exec(
            dropcast, "run", env=env, stdout=PIPE, stderr=PIPE, cwd=tmp_path
        )
        try:
            await discord.wait_connected(seconds=30)
            await telegram.wait_for(lambda: telegram.commands, seconds=30)
            async with ClientSession() as http:
                health = await wait_healthy(http, f"http://127.0.0.1:{port}/healthz")
            assert health == {"ok": True}
            await telegram.user_sends(ON_TELEGRAM, "/help")
            await telegram.wait_for(lambda: telegram.to(ON_TELEGRAM), seconds=10)
        finally:
            process.terminate()
            await asyncio.wait_for(process.wait(), 30)


async def wait_healthy(http: ClientSession, url: str) -> dict:
    async with asyncio.timeout(30):
        while True:
            try:
                async with http.get(url) as reply:
                    return await reply.json()
            except OSError:
                await asyncio.sleep(0.1)
