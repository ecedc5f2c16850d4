"""A creator on Telegram and Discord at once: one process runs both bots, and a fan who uses
both links their accounts into one fan."""

from __future__ import annotations

import asyncio
import os
import sys
from asyncio.subprocess import PIPE
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import ClientSession

from adapters.memory import ManualClock, MemoryPayLinks, MemoryRefunds
from bots.bootstrap import App
from config import Settings, load_settings
from core.kinds import Platform
from core.models import Community
from tests.builders import in_new_process, open_drop, restarted_clock, tier
from tests.eventually import eventually
from tests.peers.discord_api import DROPS_CHANNEL, GUILD_ID, STAGE_CHANNEL, DiscordApi
from tests.peers.telegram_bot_api import TelegramBotApi
from tests.scenario.discord_guild import CREATOR, listening, option, pay, started
from tests.scenario.telegram_chat import polling
from tests.scenario.web_client import free_port

ON_TELEGRAM, ON_DISCORD = 2002, "500000000000000001"
ADMIN, CHANNEL, INSIDER_ROLE = 1001, -100500, "720000000000000002"


@dataclass
class Both:
    telegram: TelegramBotApi
    discord: DiscordApi
    app: App
    settings: Settings
    clock: ManualClock


@pytest.fixture
async def both(db: str) -> AsyncIterator[Both]:
    clock = ManualClock()
    calendar = DiscordApi(now=lambda: clock.now().timestamp(), members_intent=True)
    async with TelegramBotApi() as telegram, calendar as discord:
        settings = load_settings(
            database_url=db,
            telegram_token=telegram.token,
            telegram_api_base_url=telegram.url,
            discord_token=discord.token,
            discord_api_base_url=discord.api_base,
            discord_gateway_url=discord.gateway_url,
            admin_telegram_ids=str(ADMIN),
        )
        app, running = await started(settings, clock)
        async with polling(app, settings):
            yield Both(telegram, discord, app, settings, clock)
        await app.close()
        await running


async def telegram_says(both: Both, text: str, user: int = ON_TELEGRAM) -> str:
    before = len(both.telegram.to(user))
    await both.telegram.user_sends(user, text)
    await both.telegram.wait_for(lambda: len(both.telegram.to(user)) > before)
    return both.telegram.to(user)[before].text


async def test_a_fan_links_telegram_and_discord_and_sees_one_history(both):
    drop = await open_drop(both.app.core, tier(stock=3))
    bought = await both.discord.run_command(
        ON_DISCORD, "buy", [{"name": "item", "type": 3, "value": str(drop.tiers[0].id)}]
    )
    assert "Held for you" in (await both.discord.reply_to(bought)).text()
    await pay(both.app.core, ON_DISCORD)
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
    """What the web process answers at `url` once it listens, whatever that is."""

    async def answer() -> tuple[dict]:
        async with http.get(url) as reply:
            return (await reply.json(),)

    [said] = await eventually(answer, seconds=30, ignoring=(OSError,), what=f"{url} to answer")
    return said


async def test_a_live_week_on_both_platforms_with_the_clock_restarted_between_every_step(both):
    """Every step is followed by two freshly started clock processes (and payments and the
    refund come from processes of their own, as from `dropcast web` and the CLI): fans and
    the creator see each message once, posts and roles end as they should."""
    core, clock = both.app.core, both.clock
    ports = {"pay_links": MemoryPayLinks(), "refunds": MemoryRefunds()}

    async def clocks(minutes: int = 0) -> None:
        clock.advance(minutes=minutes)
        for _ in range(2):
            await restarted_clock(both.settings, clock, **ports)

    both.telegram.chats[CHANNEL] = "channel"  # the bot is in the creator's channel
    await Community.create(platform=Platform.TELEGRAM, platform_ref=str(CHANNEL), name="Fans")
    await Community.create(
        platform=Platform.DISCORD, platform_ref=GUILD_ID, name="Fan Club",
        announce_channel_ref=DROPS_CHANNEL,
    )  # fmt: skip
    await core.perks.register("insider", "Insiders", Platform.DISCORD, GUILD_ID, INSIDER_ROLE)
    await core.perks.for_tier("insider", "supporter")
    starts = clock.now() + timedelta(hours=25)
    drop = await core.drops.create("Winter drop", [tier(kind="digital", stock=5)])
    await core.drops.schedule(drop.id, starts + timedelta(minutes=20))  # opens on air
    await core.drops.announce(drop.id)
    session = await core.live.schedule("Friday listening", starts, drop_id=drop.id)
    await clocks()
    post = next(m for m in both.telegram.to(CHANNEL) if "Friday listening" in m.text)
    await both.telegram.user_taps(ON_TELEGRAM, post, post.button("I'll be there")["callback_data"])
    [event] = both.discord.events.values()
    both.discord.interested[event["id"]] = [ON_DISCORD]
    assert both.app.discord is not None
    await both.app.discord.sync_interest()
    await both.telegram.wait_for(lambda: both.telegram.answers)

    await clocks(minutes=60)  # a day before
    await clocks(minutes=24 * 60 - 10)  # ten minutes before
    await clocks(minutes=10)  # the start time: the creator is nudged
    nudge = next(m for m in both.telegram.to(ADMIN) if "was due to go live" in m.text)
    assert nudge.button("Go live now")["callback_data"] == f"golive:{session.id}"
    number, stage = option("number", session.id, 4), option("channel", STAGE_CHANNEL, 7)
    await both.discord.reply_to(
        await both.discord.run_command(CREATOR, "live start", [number, stage], admin=True)
    )
    await clocks()  # "we're live" to those who signed up
    await both.discord.voice(ON_DISCORD, STAGE_CHANNEL)
    await listening(ON_DISCORD, now=True)
    code = (await telegram_says(both, "/livecode", ADMIN)).split("Say this on air: ")[1][:6]
    assert "+10 points" in await telegram_says(both, code)
    await clocks(minutes=20)  # the drop opens on air

    drop_post = next(m for m in both.discord.in_channel(DROPS_CHANNEL) if "Winter" in m.text())
    assert "Open now" in drop_post.text()
    held = await both.discord.press(ON_DISCORD, drop_post, drop_post.button("Buy")["custom_id"])
    assert "Held for you" in (await both.discord.reply_to(held)).text()
    order_id = await in_new_process(
        both.settings, clock, lambda web: pay(web.core, ON_DISCORD), **ports
    )
    await clocks()
    assert INSIDER_ROLE in both.discord.member_roles[ON_DISCORD]
    await clocks(minutes=10)
    await both.discord.voice(ON_DISCORD, None)
    await listening(ON_DISCORD, now=False)
    await both.discord.reply_to(
        await both.discord.run_command(CREATOR, "live end", [number], admin=True)
    )
    await clocks()
    refund = lambda cli: cli.core.orders.refund(order_id, "sorry")  # noqa: E731
    await in_new_process(both.settings, clock, refund, **ports)
    await clocks()

    assert INSIDER_ROLE not in both.discord.member_roles[ON_DISCORD]
    on_telegram = [m.text for m in both.telegram.to(ON_TELEGRAM)]
    on_discord = [m.text() for m in both.discord.dms_to(ON_DISCORD)]
    for texts in (on_telegram, on_discord):
        assert len(texts) == len(set(texts)), texts  # nothing twice
        assert sum("Reminder" in text or "is live now" in text for text in texts) == 3
    assert sum("Paid: Winter drop" in text for text in on_discord) == 1
    assert sum("was due to go live" in m.text for m in both.telegram.to(ADMIN)) == 1
    assert sum("was due to go live" in m.text() for m in both.discord.dms_to(CREATOR)) == 1
    assert event["status"] == 3  # Discord's calendar: completed
    assert [m.text() for m in both.discord.in_channel(DROPS_CHANNEL)].count(drop_post.text()) == 1
