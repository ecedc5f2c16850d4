"""The Discord bot's ports, from DISCORD_TOKEN (see bots/platforms.py)."""

from __future__ import annotations

from adapters.discord.app import discord_client
from adapters.discord.client import DropcastDiscord
from adapters.discord.delivery import DiscordAnnouncer, DiscordDesk, DiscordMessenger
from adapters.discord.perks import DiscordPerks
from bots.platforms import Connected
from config import Settings
from core.kinds import Platform


def connect_discord(settings: Settings) -> tuple[DropcastDiscord, Connected]:
    """The client gets its core once the core is built (`bootstrap`)."""
    guilds = discord_client(settings)
    return guilds, Connected(
        Platform.DISCORD,
        announcer=DiscordAnnouncer(guilds),
        messenger=DiscordMessenger(guilds),
        desk=DiscordDesk(guilds),
        perks=DiscordPerks(guilds),
        refunds={},
        close=guilds.close,
    )
