"""The Discord client a process runs: its intents, where it connects, its command tree."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
import structlog
import yarl
from discord import app_commands
from discord.ext import tasks

from config import Settings
from core import communities, posts
from core.app import Core
from core.communities import CommunityView
from core.fans import FanRef
from core.kinds import Platform

log = structlog.get_logger(__name__)
DISCORD_API = "https://discord.com/api"


def point_at(settings: Settings) -> None:
    """discord.py takes its REST base and gateway from class attributes: a REST proxy shared
    by several processes, or a test peer, is set there."""
    if settings.discord_api_base_url:
        api = str(settings.discord_api_base_url).rstrip("/")
        discord.http.Route.BASE = f"{api}/v{discord.http.INTERNAL_API_VERSION}"
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def intents() -> discord.Intents:
    """Only what Dropcast uses: guilds (channels, roles) and voice states (live sessions).
    No privileged intents: roles are given by id; the access report lists members by REST,
    which needs the Server Members Intent switched on in the Developer Portal only."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.voice_states = True
    return wanted


class DropcastDiscord(discord.AutoShardedClient):
    """Sharded as Discord recommends (one shard for a small creator's server). `core` is set
    once the core is built, since the core's ports are built on this client. Nothing it
    says pings anyone: posts carry fans' names (a fan may call themselves "@everyone"), and
    a bot given Administrator would otherwise notify the whole server."""

    core: Core

    def __init__(self, settings: Settings, **options: Any) -> None:
        point_at(settings)
        super().__init__(
            intents=intents(),
            guild_ready_timeout=1.0,
            allowed_mentions=discord.AllowedMentions.none(),
            **options,
        )
        self.admin_roles = frozenset(settings.admin_discord_role_ids)
        self.zone = settings.creator_timezone
        self.tree = app_commands.CommandTree(self)
        self._token = settings.discord_token
        self._logging_in = asyncio.Lock()

    async def login(self, token: str) -> None:
        """Once per process, whether the gateway (`start`) or a first REST call asks first."""
        async with self._logging_in:
            if self.user is None:
                await super().login(token)

    async def rest(self) -> DropcastDiscord:
        """This client, logged in for Discord's REST API. The clock, web and CLI processes
        never open the gateway: they log in on first use, and know no guild from a cache."""
        assert self._token is not None
        await self.login(self._token.get_secret_value())
        return self

    async def connect(self, *, reconnect: bool = True) -> None:
        """The gateway: only this process hears voice states and reads event interest."""
        self._sign_ups.start()
        await super().connect(reconnect=reconnect)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        """A server that adds the bot gets its commands at once and is connected."""
        await connect(guild)
        self.tree.copy_global_to(guild=guild)
        await self.tree.sync(guild=guild)

    async def close(self) -> None:
        self._sign_ups.cancel()
        if self.user is not None:  # logged in: discord.py has something to close
            await super().close()
        else:  # a login that failed still opened discord.py's HTTP session
            await self.http.close()

    @tasks.loop(minutes=1)
    async def _sign_ups(self) -> None:
        try:
            await self.sync_interest()
        except Exception:
            log.exception("discord_interest_sync_failed")

    async def sync_interest(self) -> int:
        """Members who marked interest in a session's Scheduled Event count as signed up
        (reminders and all); read from Discord, since the gateway tells only about members
        in the cache, and this client keeps none."""
        signed = 0
        for event in await posts.scheduled_events(Platform.DISCORD):
            guild_id, event_id = int(event.community_ref), int(event.event_ref)
            after: int | None = None
            while True:
                page = await self.http.get_scheduled_event_users(
                    guild_id, event_id, limit=100, with_member=False, after=after
                )
                for entry in page:
                    user = entry["user"]
                    name = user.get("global_name") or user["username"]
                    fan = FanRef(Platform.DISCORD, str(user["id"]), name)
                    await self.core.live_reminders.rsvp_as(event.session_id, fan)
                    signed += 1
                if len(page) < 100:
                    break
                after = int(page[-1]["user"]["id"])
        return signed

    def listeners(self, guild: discord.Guild | None, channel_id: int) -> list[FanRef]:
        """Those in the room now, as a session going live there counts them: the gateway
        told of them (GUILD_CREATE at connect, or a VOICE_STATE_UPDATE since) and will not
        again."""
        room = guild.get_channel(channel_id) if guild else None
        if not isinstance(room, discord.VoiceChannel | discord.StageChannel):
            return []
        listening = []
        for user_id in room.voice_states:
            member = room.guild.get_member(user_id)
            name = member.display_name if member else str(user_id)
            listening.append(FanRef(Platform.DISCORD, str(user_id), name))
        return listening

    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        """Who is in a live session's voice channel, and for how long."""
        if before.channel == after.channel:
            return  # muted, deafened: still listening
        await self.core.attendance.voice_moved(
            FanRef(Platform.DISCORD, str(member.id), member.display_name),
            None if before.channel is None else str(before.channel.id),
            None if after.channel is None else str(after.channel.id),
        )


async def connect(guild: discord.Guild) -> CommunityView:
    return await communities.connect(Platform.DISCORD, str(guild.id), guild.name)
