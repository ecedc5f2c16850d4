"""`/token …`: a fan's perk tokens. `redeem` takes a token's code (in the DM and `/me`),
`gift` makes a gift code that the first friend to run `/token accept` with it takes."""

from __future__ import annotations

import discord
from discord import app_commands

from adapters import token_words
from adapters.discord.fans import answer, core_of, who
from core.perk_tokens.gifting import GiftCode

token = app_commands.Group(name="token", description="Your perk tokens: redeem, gift, accept")


@token.command(name="redeem", description="Redeem a perk token (its code is in /me)")
@app_commands.describe(code="The token's code")
async def token_redeem(
    interaction: discord.Interaction, code: app_commands.Range[str, 1, 200]
) -> None:
    redeeming = core_of(interaction).tokens.redeeming.redeem_as(code, who(interaction))
    await answer(interaction, redeeming, token_words.redeemed, refused="Not redeemed: {}.")


@token.command(name="gift", description="A gift code: the first friend to accept it gets the token")
@app_commands.describe(code="The code of the token to give (in /me)")
async def token_gift(
    interaction: discord.Interaction, code: app_commands.Range[str, 1, 200]
) -> None:
    gifting = core_of(interaction).tokens.gifting.gift_code_as(code, who(interaction))
    await answer(interaction, gifting, _gift_text, refused="No gift code: {}.")


@token.command(name="accept", description="Take a perk token a friend gave you")
@app_commands.describe(code="The gift code your friend sent")
async def token_accept(
    interaction: discord.Interaction, code: app_commands.Range[str, 1, 200]
) -> None:
    accepting = core_of(interaction).tokens.gifting.accept_as(code, who(interaction))
    await answer(interaction, accepting, token_words.accepted, refused="No gift: {}.")


def _gift_text(gift: GiftCode) -> str:
    return token_words.gift_link(gift, f"/token accept code:{gift.code}")
