"""The Discord client with its commands and buttons registered."""

from __future__ import annotations

from adapters.discord import commands
from adapters.discord.client import DropcastDiscord
from adapters.discord.pickup_choice import PickupChoice
from adapters.discord.views import PostButton
from config import Settings


def discord_client(settings: Settings) -> DropcastDiscord:
    client = DropcastDiscord(settings)
    commands.register(client.tree)
    # buttons posted before a restart keep working
    client.add_dynamic_items(PostButton, PickupChoice)
    return client
