"""The Discord way to claim a membership moved in from another tool (`dropcast plan
import`): `/claim-membership code:<code>`, apart from `/claim`, which takes live codes."""

from __future__ import annotations

import discord
from discord import app_commands

from adapters import wording
from adapters.discord.fans import answer, core_of, who

NAME = "claim-membership"


def claim_command(code: str) -> str:
    """What the creator tells a subscriber to type in Discord."""
    return f"/{NAME} code:{code}"


@app_commands.command(name=NAME, description="Claim the membership the creator sent you a code for")
@app_commands.describe(code="The code from the creator's message")
async def claim_membership(interaction: discord.Interaction, code: str) -> None:
    await answer(
        interaction,
        core_of(interaction).claiming.claim_as(code, who(interaction)),
        wording.claimed_text,
        refused="Not claimed: {}.",
    )
