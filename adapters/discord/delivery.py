"""The core's ports on Discord: direct messages and drop posts edited in place."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import discord
import structlog

from adapters import wording
from adapters.discord import render
from adapters.discord.client import DropcastDiscord
from adapters.discord.views import PostButton
from core import communities, posts
from core.communities import CommunityView
from core.fans import account_on, mark_unreachable
from core.kinds import Platform
from core.messages import (
    CampaignDM,
    CreatorNote,
    DropAnnouncement,
    FanMessage,
    LiveAnnouncement,
    ShoutOut,
)

log = structlog.get_logger(__name__)
CANNOT_DM = 50007
# a Guild Scheduled Event's status (scheduled 1, active 2, completed 3, canceled 4) → the
# changes that bring it to a session's state by the only moves Discord takes (1 → 2 → 3,
# 1 → 4): an external event starts and completes by itself at its times, and a finished one
# cannot change. A called-off session whose event already started is deleted, as
# Discord's own "Cancel Event" does.
EVENT_STEPS: dict[tuple[int, str], list[int]] = {
    (1, "live"): [2],
    (1, "ended"): [2, 3],
    (2, "ended"): [3],
    (1, "cancelled"): [4],
}


class DiscordMessenger:
    """DMs. A fan whose DMs are closed (50007) is marked unreachable and not tried again:
    Discord bans bots that make many failing requests. `/dm on` clears the mark."""

    def __init__(self, client: DropcastDiscord) -> None:
        self.client = client

    async def send(self, fan_id: int, message: FanMessage) -> bool:
        account = await account_on(fan_id, Platform.DISCORD)
        if account is None or not account.reachable:
            return False
        link = wording.action(message)
        view = discord.ui.View(timeout=None)
        if link:
            view.add_item(discord.ui.Button(label=link[0], url=link[1]))
        if isinstance(message, CampaignDM):  # every campaign DM: a way to say no more
            view.add_item(PostButton("optout", message.delivery_id, wording.OPT_OUT))
        try:
            await _dm(self.client, int(account.user_ref), wording.fan_text(message), view)
        except discord.Forbidden as error:
            if error.code != CANNOT_DM:
                raise
            await mark_unreachable(account)
            log.info("discord_dms_closed", fan_id=fan_id)
            return False
        return True

    async def drop_url(self, drop_id: int) -> str | None:
        """The drop's post in a server, where its buy buttons are."""
        post = await posts.drop_post_on(Platform.DISCORD, drop_id)
        if post is None or post.channel_ref is None:
            return None
        guild, channel = post.community_ref, post.channel_ref
        return f"https://discord.com/channels/{guild}/{channel}/{post.message_ref}"


class DiscordDesk:
    """Notes for the creator by DM from the bot to whoever owns its Discord application:
    Dropcast is self-hosted, so that is the creator (or their team's owner)."""

    def __init__(self, client: DropcastDiscord) -> None:
        self.client = client

    async def tell(self, note: CreatorNote) -> bool:
        info = (await self.client.rest()).application
        assert info is not None  # known once logged in
        owner = info.team.owner if info.team and info.team.owner else info.owner
        text = wording.creator_text(note, "run /live start number:{} in your server.")
        try:
            await _dm(self.client, owner.id, text)
        except discord.Forbidden:
            log.warning("discord_owner_unreachable", owner=owner.id)
            return False
        return True


class DiscordAnnouncer:
    """One post per drop in the server's announcement channel, edited as the drop moves."""

    def __init__(self, client: DropcastDiscord) -> None:
        self.client = client

    async def announce(self, community_id: int, announcement: DropAnnouncement) -> None:
        embed, view = render.drop_post(announcement)
        await self._post(community_id, {"drop_id": announcement.drop_id}, embed, view)

    async def announce_live(self, community_id: int, announcement: LiveAnnouncement) -> None:
        """The session's post, and its Guild Scheduled Event (Discord's own calendar entry,
        where members mark interest) kept in step: created, started, completed, cancelled."""
        embed, view = render.live_post(announcement)
        subject = {"session_id": announcement.session_id}
        if await self._post(community_id, subject, embed, view):
            await self._sync_event(community_id, announcement)

    async def _sync_event(self, community_id: int, session: LiveAnnouncement) -> None:
        """By REST alone, so any process can: guild, channel and event by their ids. A bot
        invited without Create Events still posts the session; the event is left out."""
        post = await posts.post_of(community_id, session_id=session.session_id)
        assert post is not None  # just posted or edited
        community = await communities.community(community_id)
        http, guild_id = (await self.client.rest()).http, int(community.ref)
        if post.event_ref is None and session.status == "scheduled":
            try:
                event = await self._create_event(http, community, session)
            except discord.Forbidden:
                log.warning("discord_event_not_allowed", guild=guild_id, needs="Create Events")
                return
            await posts.record_event(post.id, str(event["id"]))
        elif post.event_ref is not None and session.status != "scheduled":
            event = await http.get_scheduled_event(guild_id, int(post.event_ref), False)
            await _move_event(http, guild_id, event, session)

    @staticmethod
    async def _create_event(
        http: discord.http.HTTPClient, community: CommunityView, session: LiveAnnouncement
    ) -> Any:
        return await http.create_guild_scheduled_event(
            int(community.ref),
            name=session.title[:100],
            scheduled_start_time=session.starts_at.isoformat(),
            scheduled_end_time=(session.starts_at + timedelta(minutes=session.minutes)).isoformat(),
            entity_type=discord.EntityType.external.value,
            privacy_level=discord.PrivacyLevel.guild_only.value,
            entity_metadata={"location": f"Here on {community.name}"[:100]},
        )

    async def shout_out(self, community_id: int, shout_out: ShoutOut) -> None:
        community = await communities.community(community_id)
        if community.platform == Platform.DISCORD and community.channel_ref:
            channel = (await self.client.rest()).get_partial_messageable(int(community.channel_ref))
            await channel.send(wording.shout_out_text(shout_out))

    async def _post(
        self,
        community_id: int,
        subject: dict[str, Any],
        embed: discord.Embed,
        view: discord.ui.View | None,
    ) -> bool:
        """Post, or edit the subject's post; False when there was nothing to change."""
        community = await communities.community(community_id)
        if community.platform != Platform.DISCORD:
            return False
        if community.channel_ref is None:
            log.warning("discord_no_announce_channel", guild=community.ref)
            return False
        channel = (await self.client.rest()).get_partial_messageable(int(community.channel_ref))
        shown = render.signature(embed, view)
        post = await posts.post_of(community_id, **subject)
        if post is None:
            sent = await (
                channel.send(embed=embed, view=view) if view else channel.send(embed=embed)
            )
            await posts.record_post(community_id, str(sent.id), shown, **subject)
            return True
        if post.shown == shown:
            return False
        message = channel.get_partial_message(int(post.message_ref))
        await message.edit(embed=embed, view=view)
        await posts.record_shown(post.id, shown, post.message_ref)
        return True


async def _move_event(
    http: discord.http.HTTPClient, guild_id: int, event: Any, session: LiveAnnouncement
) -> None:
    """Bring the session's event to its state from where Discord has it now."""
    event_id, status = int(event["id"]), int(event["status"])
    if session.status == "cancelled" and status == 2:
        await http.delete_scheduled_event(guild_id, event_id)
        return
    steps = EVENT_STEPS.get((status, session.status), [])
    if session.status == "live" and status < 3 and session.voice_channel_ref:
        # on air in a room, whether Discord started the event or we do: it moves there
        room = await http.get_channel(int(session.voice_channel_ref))
        kind = 1 if room["type"] == discord.ChannelType.stage_voice.value else 2
        await http.edit_scheduled_event(
            guild_id, event_id, channel_id=room["id"], entity_type=kind, entity_metadata=None
        )
    for step in steps:
        await http.edit_scheduled_event(guild_id, event_id, status=step)


async def _dm(
    client: DropcastDiscord, user_id: int, text: str, view: discord.ui.View | None = None
) -> None:
    channel = await (await client.rest()).http.start_private_message(user_id)
    dms = client.get_partial_messageable(int(channel["id"]))
    await (dms.send(text, view=view) if view else dms.send(text))
