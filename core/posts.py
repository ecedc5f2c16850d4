"""Where each drop and live session was posted in each community, so that a later change
edits that post in place rather than posting again. A post's subject is its drop
(`drop_id`) or its live session (`session_id`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.kinds import LiveStatus, Platform
from core.models import Post


@dataclass(frozen=True, slots=True)
class PostView:
    id: int
    message_ref: str  # the platform's id for the message
    shown: str  # the text last posted: an unchanged text is not sent again
    event_ref: str | None  # a session's calendar entry (a Discord Scheduled Event)


@dataclass(frozen=True, slots=True)
class PostPlace:
    """Where a post can be opened: its community, channel and message, by platform ids."""

    community_ref: str
    channel_ref: str | None
    message_ref: str


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """A planned session's calendar entry in a community, where members mark interest."""

    session_id: int
    community_ref: str
    event_ref: str


async def post_of(
    community_id: int, *, drop_id: int | None = None, session_id: int | None = None
) -> PostView | None:
    """The subject's post in the community; None before it was first posted there."""
    post = await Post.get_or_none(community_id=community_id, **_subject(drop_id, session_id))
    return None if post is None else PostView(post.id, post.message_ref, post.shown, post.event_ref)


async def record_post(
    community_id: int,
    message_ref: str,
    shown: str,
    *,
    drop_id: int | None = None,
    session_id: int | None = None,
) -> None:
    """The subject was first posted in the community, as `message_ref` showing `shown`."""
    await Post.create(
        community_id=community_id,
        message_ref=message_ref,
        shown=shown,
        **_subject(drop_id, session_id),
    )


async def record_shown(post_id: int, shown: str, message_ref: str) -> None:
    """The post now shows `shown`, as `message_ref` (a new message if the old was deleted)."""
    await Post.filter(id=post_id).update(shown=shown, message_ref=message_ref)


async def record_event(post_id: int, event_ref: str) -> None:
    """The session's post has its calendar entry, kept in step with the session from now on."""
    await Post.filter(id=post_id).update(event_ref=event_ref)


async def drop_post_on(platform: Platform, drop_id: int) -> PostPlace | None:
    """Where the drop was posted on `platform` (the first community found), if anywhere."""
    post = (
        await Post.filter(drop_id=drop_id, community__platform=platform)
        .select_related("community")
        .first()
    )
    if post is None:
        return None
    community = post.community
    return PostPlace(community.platform_ref, community.announce_channel_ref, post.message_ref)


async def scheduled_events(platform: Platform) -> list[SessionEvent]:
    """The calendar entries on `platform` of sessions still to start: who marks interest in
    one signs up for its session."""
    rows = await Post.filter(
        event_ref__isnull=False,
        session__status=LiveStatus.SCHEDULED,
        community__platform=platform,
    ).values_list("session_id", "community__platform_ref", "event_ref")
    return [SessionEvent(*row) for row in rows]


def _subject(drop_id: int | None, session_id: int | None) -> dict[str, Any]:
    """A post's subject as its column: a drop or a session, never both."""
    if (drop_id is None) == (session_id is None):
        raise ValueError("a post is of a drop or of a live session")
    return {"drop_id": drop_id} if session_id is None else {"session_id": session_id}
