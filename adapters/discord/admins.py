"""Who may run the creator's commands: members who can manage the server, or who hold one of
ADMIN_DISCORD_ROLE_IDS. Discord hides the commands from others; this check refuses them."""

from __future__ import annotations

import discord
from discord import app_commands

from adapters.discord.client import DropcastDiscord

NOT_ADMIN = "Only the creator's admins can do that."
ADMIN_ONLY = discord.Permissions(manage_guild=True)


class NotAdmin(app_commands.CheckFailure):
    pass


def admins_only(interaction: discord.Interaction) -> bool:
    client: DropcastDiscord = interaction.client  # type: ignore[assignment]
    roles = {role.id for role in getattr(interaction.user, "roles", [])}
    if interaction.permissions.manage_guild or roles & client.admin_roles:
        return True
    raise NotAdmin(NOT_ADMIN)
