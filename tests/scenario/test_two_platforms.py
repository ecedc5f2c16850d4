"""A creator on Telegram and Discord at once: one process runs both bots, and a fan who uses
both links their accounts into one fan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from adapters.memory import ManualClock
from adapters.telegram.app import telegram_application
from bots.bootstrap import App
from config import load_settings
from tests.builders import open_drop, tier
from tests.peers.discord_api import DiscordApi
from tests.peers.telegram_bot_api import TelegramBotApi
from tests.scenario.test_discord import pay, started

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
        assert app.telegram is not None
        polling = telegram_application(app.telegram, app.core, settings)
        async with polling:
            assert polling.updater is not None
            await polling.updater.start_polling(poll_interval=0, timeout=1)
            await polling.start()
            try:
                yield Both(telegram, discord, app)
            finally:
                await polling.updater.stop()
                await polling.stop()
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
