"""Perk tokens in the Telegram bot, against the fake Bot API: a giveaway drawn when the
session ends, the token's DM and `/me`, `/redeem`, `/gift` and its deep link, and every
refusal answered in the chat (README: Perk tokens)."""

from __future__ import annotations

from datetime import timedelta

from core.app import Core
from core.models import PerkToken
from core.perk_tokens.minting import MintSpec
from core.perk_tokens.rules import Rule
from tests.scenario.telegram_chat import FAN, OTHER, Bot


async def giveaway(bot: Bot, kind: str = "member_price") -> str:
    """A session the fan checked in to ends: its one-token giveaway is the fan's. Returns the
    code the token's DM carries."""
    core: Core = bot.app.core
    session = await core.live.schedule("Friday listening", bot.clock.now() + timedelta(minutes=5))
    bot.clock.advance(minutes=5)
    await core.live.start(session.id)
    assert "Checked in" in (await bot.says(FAN, "/checkin")).text
    rule = Rule.from_words(f"giveaway:{session.id}")
    expires = bot.clock.now() + timedelta(days=7)
    await core.tokens.minting.mint(MintSpec("Night owls", kind, 1, rule, expires, 7))
    await core.live.end(session.id)
    [dm] = await bot.peer.wait_for(lambda: [m for m in bot.peer.to(FAN) if m.text.startswith("🎟")])
    assert "You got a perk token: Night owls #1, member prices in drops for 7 days" in dm.text
    return dm.text.split("Its code: ")[1].strip()


async def test_a_giveaway_winner_gifts_their_token_and_the_friend_redeems_it_once(bot):
    code = await giveaway(bot)
    me = await bot.says(FAN, "/me")
    assert "🎟 Night owls #1: member prices in drops for 7 days from redeeming" in me.text
    assert f"code {code}" in me.text
    assert me.button("Redeem Night owls #1")
    assert "not yours" in await bot.taps(OTHER, me, me.button("Gift it")["callback_data"])
    assert await bot.taps(FAN, me, me.button("Gift it")["callback_data"]) == ""
    by_button = await bot.peer.wait_for(
        lambda: [m for m in bot.peer.to(FAN) if "Your gift link" in m.text]
    )
    gift = (await bot.says(FAN, f"/gift {code}")).text
    assert gift == by_button[0].text  # the same link, by command or button
    assert "the first friend who opens it gets the token" in gift
    link = gift.split("\n")[-1]
    assert link.startswith("https://t.me/dropcast_bot?start=gift_")
    payload = link.split("?start=")[1]
    assert "your own token" in (await bot.says(FAN, f"/start {payload}")).text
    gifted = await bot.says(OTHER, f"/start {payload}")  # the token's DM comes first
    assert gifted.text.startswith("🎟 A gift for you: Night owls #1")
    accepted = "🎁 Night owls #1 is yours now. /me shows it with its code."
    await bot.peer.wait_for(lambda: accepted in [m.text for m in bot.peer.to(OTHER)])
    assert "yours already" in (await bot.says(OTHER, f"/start {payload}")).text
    assert "not yours" in (await bot.says(FAN, f"/redeem {code}")).text
    redeemed = (await bot.says(OTHER, f"/redeem {code}")).text
    assert redeemed.startswith("Redeemed Night owls #1: member prices in drops")
    assert "redeemed already" in (await bot.says(OTHER, f"/redeem {code}")).text
    [token] = await PerkToken.all().values("holder_id", "gifted_at", "redeemed_at")
    assert token["gifted_at"] is not None
    assert token["redeemed_at"] is not None


async def test_the_redeem_button_works_once_and_bad_codes_change_nothing(bot):
    code = await giveaway(bot)
    assert "not a token code" in (await bot.says(FAN, "/redeem nonsense")).text
    assert "not a token code" in (await bot.says(FAN, f"/redeem {code[:-2]}xx")).text
    assert "not a token code" in (await bot.says(OTHER, "/start gift_forged00000000000000")).text
    assert "with your token's code" in (await bot.says(FAN, "/gift")).text
    assert "not yours" in (await bot.says(OTHER, f"/gift {code}")).text
    assert await PerkToken.filter(redeemed_at__isnull=False).count() == 0
    me = await bot.says(FAN, "/me")
    data = me.button("Redeem Night owls #1")["callback_data"]
    assert (
        await bot.taps(OTHER, me, data)
        == "Not redeemed: that token is not yours: only its holder can redeem it."
    )
    assert await bot.taps(FAN, me, data) == ""
    assert "redeemed already" in await bot.taps(FAN, me, data)
    gift_data = me.button("Gift it")["callback_data"]
    assert "redeemed already" in await bot.taps(FAN, me, gift_data)  # no gift of a used token
    assert await PerkToken.filter(redeemed_at__isnull=False).count() == 1
