"""Announcements, direct messages and perks, kept in lists instead of sent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from core.drops.views import drop_code
from core.fans import account_on, mark_unreachable
from core.kinds import Platform
from core.messages import (
    CreatorNote,
    DropAnnouncement,
    FanMessage,
    LiveAnnouncement,
    PerkRef,
    ShoutOut,
)


@dataclass
class MemoryAnnouncer:
    """Keeps one post per (community, drop), edited in place like the real adapters do."""

    posts: dict[tuple[int, int], DropAnnouncement] = field(default_factory=dict)
    live_posts: dict[tuple[int, int], LiveAnnouncement] = field(default_factory=dict)
    shout_outs: list[tuple[int, ShoutOut]] = field(default_factory=list)
    edits: int = 0
    down_in: set[int] = field(default_factory=set)  # communities whose platform is down

    async def announce(self, community_id: int, announcement: DropAnnouncement) -> None:
        self._reach(community_id)
        key = (community_id, announcement.drop_id)
        self.edits += key in self.posts
        self.posts[key] = announcement

    async def announce_live(self, community_id: int, announcement: LiveAnnouncement) -> None:
        self._reach(community_id)
        key = (community_id, announcement.session_id)
        self.edits += key in self.live_posts
        self.live_posts[key] = announcement

    async def shout_out(self, community_id: int, shout_out: ShoutOut) -> None:
        self._reach(community_id)
        self.shout_outs.append((community_id, shout_out))

    def _reach(self, community_id: int) -> None:
        if community_id in self.down_in:
            raise ConnectionError("the platform is unreachable")


@dataclass
class MemoryMessenger:
    """Stands in for every platform's DMs. A fan in `unreachable` (they blocked the bot) is
    marked unreachable on their accounts, as the platform adapters mark them."""

    sent: list[tuple[int, FanMessage]] = field(default_factory=list)
    unreachable: set[int] = field(default_factory=set)
    failing: bool = False  # the platform is down

    async def send(self, fan_id: int, message: FanMessage) -> bool:
        if self.failing:
            raise ConnectionError("the platform is unreachable")
        if fan_id in self.unreachable:
            for platform in Platform:
                account = await account_on(fan_id, platform)
                if account is not None and account.reachable:
                    await mark_unreachable(account)
            return False
        self.sent.append((fan_id, message))
        return True

    async def drop_url(self, drop_id: int) -> str | None:
        if await drop_code(drop_id) is None:
            return None  # no such drop: nowhere to open it
        return f"https://example.com/drops/{drop_id}"

    def to(self, fan_id: int) -> list[FanMessage]:
        return [message for fan, message in self.sent if fan == fan_id]


@dataclass
class MemoryDesk:
    """The creator's notes, kept; the offline sandbox shows them in the clock's log."""

    notes: list[CreatorNote] = field(default_factory=list)
    failing: bool = False  # the platform is down

    async def tell(self, note: CreatorNote) -> bool:
        if self.failing:
            raise ConnectionError("the platform is unreachable")
        self.notes.append(note)
        return True


@dataclass
class MemoryPerks:
    """Who holds what, plus every call, so a test sees a perk was granted exactly once."""

    granted: set[tuple[int, int]] = field(default_factory=set)  # (fan id, perk id)
    calls: list[tuple[str, int, int]] = field(default_factory=list)
    failing: bool = False

    async def grant(self, fan_id: int, perk: PerkRef, replacing: str = "") -> str:
        self._call("grant", fan_id, perk)
        self.granted.add((fan_id, perk.perk_id))
        return f"memory://perk/{perk.perk_id}/fan/{fan_id}/{len(self.calls)}"

    async def revoke(self, fan_id: int, perk: PerkRef, access: str) -> None:
        self._call("revoke", fan_id, perk)
        self.granted.discard((fan_id, perk.perk_id))

    async def holding(self, perks: Sequence[PerkRef]) -> Mapping[int, frozenset[str]]:
        """Nothing: in memory there is no platform to ask (as with Telegram)."""
        return {}

    def _call(self, what: str, fan_id: int, perk: PerkRef) -> None:
        if self.failing:
            raise ConnectionError("the platform is unreachable")
        self.calls.append((what, fan_id, perk.perk_id))
