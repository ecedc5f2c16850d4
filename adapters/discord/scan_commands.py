"""`/scan code:`: the creator's admins check a pickup pass and mark it collected
(core/popups/scanning.py); the answer only they see."""

from __future__ import annotations

import discord
from discord import app_commands

from adapters.discord.admins import admins_only
from adapters.discord.fans import answer, core_of
from adapters.scan_answers import scan_text

LONGEST = 2000


@app_commands.command(description="Check a pickup pass and mark it collected (only you see it)")
@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
@app_commands.check(admins_only)
@app_commands.describe(code="The pass's code, or its whole link")
async def scan(interaction: discord.Interaction, code: str) -> None:
    staff = interaction.user.display_name[:64]
    scanned = core_of(interaction).scanning.collect_now(code[:LONGEST], staff)
    await answer(interaction, scanned, scan_text)
