"""Perk tokens in the Discord bot, against the fake Discord API: the token's DM and `/me`,
`/token redeem`, `/token gift` and `/token accept`, a shout-out posted in the server, and
every refusal answered privately (README: Perk tokens)."""

from __future__ import annotations

from datetime import timedelta

from core.fans import fan_for
from core.kinds import Platform
from core.models import Community, PerkToken
from core.perk_tokens.minting import MintSpec
from core.perk_tokens.rules import Rule
from tests.peers.discord_api import DROPS_CHANNEL, GUILD_ID
from tests.scenario.discord_guild import FAN, Guild, option

OTHER_FAN = "500000000000000002"


async def listened(guild: Guild, kind: str) -> str:
    """The fan listened to a session that ended; the creator mints a one-token giveaway for
    it, drawn at once. Returns the code the token's DM carries."""
    core = guild.app.core
    await Community.get_or_create(
        platform=Platform.DISCORD, platform_ref=GUILD_ID,
        defaults={"name": "Fan Club", "announce_channel_ref": DROPS_CHANNEL},
    )  # fmt: skip
    fan = await fan_for(Platform.DISCORD, FAN, "Ada")
    session = await core.live.schedule("Stage", guild.clock.now() + timedelta(minutes=1))
    guild.clock.advance(minutes=1)
    await core.live.start(session.id)
    await core.attendance.check_in(fan)
    await core.live.end(session.id)
    rule = Rule.from_words(f"giveaway:{session.id}")
    expires = guild.clock.now() + timedelta(days=7)
    await core.tokens.minting.mint(MintSpec("Night owls", kind, 1, rule, expires, 7))
    [dm] = await guild.peer.wait_for(
        lambda: [m for m in guild.peer.dms_to(FAN) if "Night owls #1" in m.text()]
    )
    return dm.text().split("Its code: ")[1].strip()


async def test_a_fan_gifts_a_token_and_the_friend_redeems_its_shout_out_once(guild):
    code = await listened(guild, "shout_out")
    me = await guild.command(FAN, "me")
    assert "🎟 Night owls #1: a shout-out in the community. Redeem before" in me.text()
    assert f"code {code}" in me.text()
    gift = (await guild.command(FAN, "token gift", option("code", code))).text()
    accept = gift.split("\n")[-1]
    assert accept.startswith("/token accept code:")
    gift_code = accept.removeprefix("/token accept code:")
    mine = await guild.command(FAN, "token accept", option("code", gift_code))
    assert "your own token" in mine.text()
    taken = await guild.command(OTHER_FAN, "token accept", option("code", gift_code))
    assert taken.text() == "🎁 Night owls #1 is yours now. /me shows it with its code."
    again = await guild.command(OTHER_FAN, "token accept", option("code", gift_code))
    assert "yours already" in again.text()
    assert "not yours" in (await guild.command(FAN, "token redeem", option("code", code))).text()
    done = await guild.command(OTHER_FAN, "token redeem", option("code", code))
    assert done.text().startswith("Redeemed Night owls #1: a shout-out")
    [post] = await guild.peer.wait_for(
        lambda: [m for m in guild.peer.in_channel(DROPS_CHANNEL) if "shout-out" in m.text()]
    )
    assert "holder of Night owls #1" in post.text()
    twice = await guild.command(OTHER_FAN, "token redeem", option("code", code))
    assert "redeemed already" in twice.text()
    assert len([m for m in guild.peer.in_channel(DROPS_CHANNEL) if "shout-out" in m.text()]) == 1


async def test_bad_codes_get_a_private_answer_and_change_nothing(guild):
    code = await listened(guild, "member_price")
    for command in ("token redeem", "token gift", "token accept"):
        refused = await guild.command(FAN, command, option("code", "forged.AAAAAAAAAAAAAAAA"))
        assert refused.ephemeral
        assert "not a token code" in refused.text()
    assert (
        "not a token code"
        in (
            await guild.command(FAN, "token accept", option("code", code))  # not a gift code
        ).text()
    )
    assert (
        "not yours" in (await guild.command(OTHER_FAN, "token gift", option("code", code))).text()
    )
    [token] = await PerkToken.all().values("gifted_at", "redeemed_at")
    assert token == {"gifted_at": None, "redeemed_at": None}
