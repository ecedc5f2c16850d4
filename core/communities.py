"""The servers and chats the creator connected, and their settings: where drops are announced.
A platform adapter names a community by the platform's id for it (`ref`)."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import NotFound
from core.kinds import Platform
from core.models import Community


@dataclass(frozen=True, slots=True)
class CommunityView:
    id: int
    platform: Platform
    ref: str  # the platform's id for the server or chat
    name: str
    channel_ref: str | None  # where drops are announced, once chosen


async def community(community_id: int) -> CommunityView:
    """A connected community, as an announcer posting there needs it."""
    row = await Community.get_or_none(id=community_id)
    if row is None:
        raise NotFound(f"there is no community #{community_id}")
    return _view(row)


async def connect(platform: Platform, ref: str, name: str) -> CommunityView:
    """The server's community, connected the first time it is seen, under the name it had
    then."""
    row, _ = await Community.get_or_create(
        platform=platform, platform_ref=ref, defaults={"name": name[:100]}
    )
    return _view(row)


async def choose_channel(platform: Platform, ref: str, name: str, channel_ref: str) -> None:
    """Drops are announced in `channel_ref` from now on (the community connected if new)."""
    row = await connect(platform, ref, name)
    await Community.filter(id=row.id).update(announce_channel_ref=channel_ref)


async def joined(platform: Platform, ref: str, name: str) -> None:
    """The bot was made an admin of a chat: drops are announced there, and its name is kept
    up to date."""
    await Community.update_or_create(
        platform=platform, platform_ref=ref, defaults={"name": name[:100]}
    )


async def left(platform: Platform, ref: str) -> None:
    """The bot left or was removed: the chat is no longer connected (its posts go with it)."""
    await Community.filter(platform=platform, platform_ref=ref).delete()


def _view(row: Community) -> CommunityView:
    return CommunityView(row.id, row.platform, row.platform_ref, row.name, row.announce_channel_ref)
