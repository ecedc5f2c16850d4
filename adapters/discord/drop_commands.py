"""`/drop …`: the creator's admins create, open, close and announce drops."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from adapters.discord.admins import ADMIN_ONLY, admins_only
from adapters.discord.client import DropcastDiscord
from adapters.discord.fans import answer, core_of, say, think
from core.drops.specs import parse_tiers
from core.errors import DropcastError
from core.kinds import Platform
from core.times import parse_opening

drop = app_commands.Group(
    name="drop", description="Run drops", default_permissions=ADMIN_ONLY, guild_only=True
)


class NewDrop(discord.ui.Modal, title="New drop"):
    """The drop's title, tiers and opening; `members_only` was chosen in the command."""

    name: discord.ui.TextInput[NewDrop] = discord.ui.TextInput(label="Title", max_length=120)
    tiers: discord.ui.TextInput[NewDrop] = discord.ui.TextInput(
        label="Tiers, one per line",
        style=discord.TextStyle.paragraph,
        placeholder="name=Print, price=25.00 EUR, stock=20, kind=physical",
        max_length=2000,
    )
    opens: discord.ui.TextInput[NewDrop] = discord.ui.TextInput(
        label="Opens: now, +30m, or 2026-12-01T18:00+01:00", default="now", max_length=40
    )

    def __init__(self, *, members_only: bool = False) -> None:
        super().__init__()
        self.members_only = members_only

    async def on_submit(self, interaction: discord.Interaction) -> None:
        core = core_of(interaction)
        client: DropcastDiscord = interaction.client  # type: ignore[assignment]
        await think(interaction)  # a drop opening now is announced: Discord's work
        try:
            tiers = parse_tiers(self.tiers.value)
            opens_at = parse_opening(self.opens.value, now=core.clock.now(), zone=client.zone)
            made = await core.drops.launch(
                self.name.value, tiers, opens_at, members_only=self.members_only
            )
        except DropcastError as error:
            await say(
                interaction, f"Not created: {error}. Nothing was saved; run /drop create again."
            )
            return
        await say(
            interaction, f"Drop #{made.id} is {made.status}. `/drop announce {made.id}` posts it."
        )


@drop.command(name="create", description="Make a drop: title, tiers, opening time")
@app_commands.describe(members_only="Only members of a plan may buy it")
@app_commands.check(admins_only)
async def drop_create(interaction: discord.Interaction, members_only: bool = False) -> None:
    await interaction.response.send_modal(NewDrop(members_only=members_only))


@drop.command(name="open", description="Open a drop now")
@app_commands.check(admins_only)
async def drop_open(interaction: discord.Interaction, number: int) -> None:
    await _drive(interaction, core_of(interaction).drops.open(number), "is open")


@drop.command(name="close", description="Stop selling a drop")
@app_commands.check(admins_only)
async def drop_close(interaction: discord.Interaction, number: int) -> None:
    await _drive(interaction, core_of(interaction).drops.close(number), "is closed")


@drop.command(name="announce", description="Post a drop (edited in place as it changes)")
@app_commands.check(admins_only)
async def drop_announce(
    interaction: discord.Interaction, number: int, channel: discord.TextChannel | None = None
) -> None:
    guild = interaction.guild
    assert guild is not None
    await think(interaction)
    try:
        shown = await core_of(interaction).drops.announce_in(
            number,
            Platform.DISCORD,
            str(guild.id),
            guild.name,
            channel_ref=None if channel is None else str(channel.id),
        )
    except DropcastError as error:
        await say(interaction, f"{error}.")
        return
    if shown.posted:
        await say(interaction, f"{shown.drop.title} is announced.")
    elif shown.channel_ref is None:
        await say(interaction, "Choose where drops are announced first: /setup channel.")
    else:  # Discord refused the post (50013): the bus logged it
        await say(
            interaction,
            f"I could not post in <#{shown.channel_ref}>: give me View Channel, "
            "Send Messages and Embed Links there, then announce again.",
        )


async def _drive(interaction: discord.Interaction, action: Any, done: str) -> None:
    await answer(interaction, action, lambda view: f"{view.title} {done}.")
