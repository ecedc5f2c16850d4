"""`/setup …` and `/dashboard`: the creator's admins connect this server (where drops are
announced, which roles are perks) and reach the dashboard."""

from __future__ import annotations

import discord
from discord import app_commands

from adapters import wording
from adapters.discord.admins import ADMIN_ONLY, admins_only
from adapters.discord.fans import answer, core_of, say, think
from adapters.discord.perks import missing_for
from core import communities
from core.errors import DropcastError
from core.kinds import FanTier, Platform


@app_commands.command(description="A one-time link to your dashboard (only you see it)")
@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
@app_commands.check(admins_only)
async def dashboard(interaction: discord.Interaction) -> None:
    link = await core_of(interaction).dashboard.new_link()
    await say(interaction, wording.dashboard_text(link))


setup = app_commands.Group(
    name="setup", description="Connect this server", default_permissions=ADMIN_ONLY, guild_only=True
)


@setup.command(name="channel", description="Where drops are announced")
@app_commands.check(admins_only)
async def setup_channel(interaction: discord.Interaction, channel: discord.TextChannel) -> None:
    guild = interaction.guild
    assert guild is not None
    await communities.choose_channel(Platform.DISCORD, str(guild.id), guild.name, str(channel.id))
    await say(interaction, f"Drops will be announced in {channel.mention}.")


@setup.command(name="perk", description="Name a role that a drop's tier can give its buyers")
@app_commands.check(admins_only)
async def setup_perk(interaction: discord.Interaction, name: str, role: discord.Role) -> None:
    assert interaction.guild is not None
    await think(interaction)
    problem = missing_for(interaction.guild, role)
    if problem:
        await say(interaction, f"Not yet: {problem}")
        return
    try:
        perk = await core_of(interaction).perks.register(
            name, role.name, Platform.DISCORD, str(interaction.guild.id), str(role.id)
        )
    except DropcastError as error:
        await say(interaction, f"{error}.")
        return
    await say(
        interaction,
        f"The perk {perk.name!r} is the role {role.mention}: a tier with perk={perk.name} "
        "gives it to each buyer, and a refund takes it back.",
    )


@setup.command(name="tier", description="Give a perk to every fan at a tier or above")
@app_commands.check(admins_only)
@app_commands.choices(
    tier=[app_commands.Choice(name=t.value.replace("_", " "), value=t.value) for t in FanTier]
    + [app_commands.Choice(name="none (buyers only)", value="none")]
)
async def setup_tier(
    interaction: discord.Interaction, perk: str, tier: app_commands.Choice[str]
) -> None:
    wanted = None if tier.value == "none" else tier.value
    held_by = f"fans at {tier.name} or above" if wanted else "buyers of tiers with it only"
    await answer(
        interaction,
        core_of(interaction).perks.for_tier(perk, wanted),
        lambda changed: f"{changed.title} is now held by {held_by}.",
    )
