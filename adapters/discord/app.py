"""The Discord client with its commands and buttons registered."""

from __future__ import annotations

from adapters.discord import commands
from adapters.discord.client import DropcastDiscord
from adapters.discord.views import PostButton
from config import Settings


def discord_client(settings: Settings) -> DropcastDiscord:
    client = DropcastDiscord(settings)
    commands.register(client.tree)
    client.add_dynamic_items(PostButton)  # buttons posted before a restart keep working
    return client
