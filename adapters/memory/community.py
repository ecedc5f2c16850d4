"""Announcements, direct messages and perks, kept in lists instead of sent."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.messages import DropAnnouncement, FanMessage, Perk


@dataclass
class MemoryAnnouncer:
    """Keeps one post per (community, drop), edited in place like the real adapters do."""

    posts: dict[tuple[int, int], DropAnnouncement] = field(default_factory=dict)
    edits: int = 0

    async def announce(self, community_id: int, announcement: DropAnnouncement) -> None:
        key = (community_id, announcement.drop_id)
        self.edits += key in self.posts
        self.posts[key] = announcement


@dataclass
class MemoryMessenger:
    sent: list[tuple[int, FanMessage]] = field(default_factory=list)
    unreachable: set[int] = field(default_factory=set)

    async def send(self, fan_id: int, message: FanMessage) -> bool:
        if fan_id in self.unreachable:
            return False
        self.sent.append((fan_id, message))
        return True

    def to(self, fan_id: int) -> list[FanMessage]:
        return [message for fan, message in self.sent if fan == fan_id]


@dataclass
class MemoryPerks:
    granted: set[tuple[int, Perk]] = field(default_factory=set)

    async def grant(self, fan_id: int, perk: Perk) -> None:
        self.granted.add((fan_id, perk))

    async def revoke(self, fan_id: int, perk: Perk) -> None:
        self.granted.discard((fan_id, perk))
