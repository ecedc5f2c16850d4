"""A fan asks for their data, or to be forgotten, from either bot; the creator asks either
bot for a dashboard link. Through the real client libraries, against the platform peers."""

from __future__ import annotations

import json

from core.models import ConsentRecord, Fan, PlatformAccount
from tests.scenario.discord_guild import CREATOR
from tests.scenario.discord_guild import FAN as DISCORD_FAN
from tests.scenario.telegram_chat import ADMIN, FAN

GROUP = -100900


async def test_a_telegram_fan_gets_their_data_then_is_forgotten_after_confirming(bot):
    await bot.says(FAN, "/start")
    sent = await bot.says(FAN, "/mydata")
    assert sent.text.startswith("Everything Dropcast holds about you")
    assert sent.document is not None
    name, content = sent.document
    data = json.loads(content)
    assert name == "dropcast-my-data.json"
    assert data["accounts"][0]["platform_user_id"] == str(FAN)
    assert [c["how"] for c in data["consent"]] == ["/start"]
    in_group = await bot.says_in(GROUP, FAN, "/mydata")
    assert in_group.text.startswith("Ask me that in a private chat")
    assert in_group.document is None

    asked = await bot.says(FAN, "/forgetme")
    assert asked.text.startswith("Forget you?")
    keep = asked.button("Keep my data")["callback_data"]
    await bot.taps(FAN, asked, keep)
    assert await PlatformAccount.exists(platform_user_id=str(FAN))  # kept, as chosen
    asked = await bot.says(FAN, "/forgetme")
    forget = asked.button("Yes, forget me")["callback_data"]
    await bot.taps(FAN, asked, forget)
    await bot.peer.wait_for(lambda: asked.text.startswith("Done: you are forgotten"))
    assert not await PlatformAccount.exists(platform_user_id=str(FAN))
    assert not await ConsentRecord.exists()
    assert await Fan.filter(display_name="forgotten fan").count() == 1
    await bot.taps(FAN, asked, forget)  # pressed again: nothing more happens
    await bot.peer.wait_for(lambda: asked.text.startswith("Already done"))
    assert await Fan.filter(display_name="forgotten fan").count() == 1


async def test_telegram_admins_get_a_dashboard_link_privately(bot):
    refused = await bot.says(FAN, "/dashboard")
    assert refused.text == "Only the creator's admins can do that."
    link = await bot.says(ADMIN, "/dashboard")
    assert "/dashboard/enter/" in link.text
    token = link.text.rsplit("/", 1)[1]
    session = await bot.app.core.dashboard.enter(token)
    assert session is not None
    assert await bot.app.core.dashboard.allows(session)
    assert await bot.app.core.dashboard.enter(token) is None  # once only
    before = len(bot.peer.to(GROUP))
    await bot.peer.user_sends(ADMIN, "/dashboard", in_group=GROUP)
    await bot.peer.wait_for(lambda: len(bot.peer.to(GROUP)) > before)
    assert bot.peer.to(GROUP)[-1].text == "I sent you the dashboard link in our private chat."
    assert "/dashboard/enter/" not in bot.peer.to(GROUP)[-1].text


async def test_a_discord_fan_gets_their_data_then_is_forgotten_after_confirming(guild):
    await guild.command(DISCORD_FAN, "dm", {"name": "state", "type": 3, "value": "on"})
    mine = await guild.command(DISCORD_FAN, "mydata")
    assert mine.flags & 64  # ephemeral: only the fan sees it
    [(name, content)] = mine.files
    assert name == "dropcast-my-data.json"
    assert json.loads(content)["accounts"][0]["platform_user_id"] == DISCORD_FAN
    asked = await guild.command(DISCORD_FAN, "forgetme")
    assert asked.text().startswith("Forget you?")
    kept = await guild.press(DISCORD_FAN, asked, "Keep my data")
    assert kept.text() == "Nothing changed: your data stays."
    other = await guild.press(CREATOR, asked, "Yes, forget me")  # not theirs to press
    assert other.text().startswith("Already done, or this button is someone else's")
    assert await PlatformAccount.exists(platform_user_id=DISCORD_FAN)
    done = await guild.press(DISCORD_FAN, asked, "Yes, forget me")
    assert done.text().startswith("Done: you are forgotten")
    assert not await PlatformAccount.exists(platform_user_id=DISCORD_FAN)


async def test_discord_admins_get_a_dashboard_link_only_they_see(guild):
    refused = await guild.command(DISCORD_FAN, "dashboard")
    assert refused.text() == "Only the creator's admins can do that."
    link = await guild.command(CREATOR, "dashboard", admin=True)
    assert link.flags & 64
    assert "/dashboard/enter/" in link.text()
