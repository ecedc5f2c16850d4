"""The bots as fans and creators meet them: `bot` is the Telegram bot long-polling a fake
Bot API (telegram_chat.py), `guild` the Discord bot in a fake server (discord_guild.py),
each on the test's database (SQLite, and PostgreSQL when it answers)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.memory import ManualClock
from config import load_settings
from tests.peers.discord_api import DiscordApi
from tests.peers.telegram_bot_api import TelegramBotApi
from tests.scenario.discord_guild import Guild, started
from tests.scenario.telegram_chat import Bot, bot_process

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BROWSER_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture
def chromium() -> str:
    """Debian's Chromium; CI sets DROPCAST_REQUIRE_BROWSER so its absence fails."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("DROPCAST_REQUIRE_BROWSER"):
            pytest.fail(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture
async def browser(chromium: str) -> AsyncIterator[Any]:
    """Chromium driven by Playwright, headless."""
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        launched = await driver.chromium.launch(executable_path=chromium, args=BROWSER_FLAGS)
        yield launched
        await launched.close()


@pytest.fixture
async def bot(db: str) -> AsyncIterator[Bot]:
    async with TelegramBotApi() as peer, bot_process(peer, db, ManualClock()) as running:
        yield running


@pytest.fixture
def guild_settings() -> dict[str, Any]:
    """What a test module adds to its guild's settings (a Stripe peer's, say)."""
    return {}


@pytest.fixture
async def guild(
    db: str, clock: ManualClock, guild_settings: dict[str, Any]
) -> AsyncIterator[Guild]:
    """The bot in a server set up as the README says: the Server Members Intent on, so the
    sweep can list the server's members."""
    async with DiscordApi(now=lambda: clock.now().timestamp(), members_intent=True) as peer:
        settings = load_settings(
            database_url=db,
            discord_token=peer.token,
            discord_api_base_url=peer.api_base,
            discord_gateway_url=peer.gateway_url,
            **guild_settings,
        )
        app, running = await started(settings, clock)
        connected = Guild(peer, app, clock, settings, running)
        try:
            yield connected
        finally:
            await connected.app.close()
            await connected.running
