"""One port made of each platform's adapter, for a creator on Telegram and Discord at once."""

from __future__ import annotations

from collections.abc import Sequence

from core.messages import CreatorNote, DropAnnouncement, FanMessage, LiveAnnouncement, ShoutOut
from core.ports import Announcer, CreatorDesk, FanMessenger


class EveryAnnouncer:
    """Each platform's announcer posts in its own platform's communities and skips others."""

    def __init__(self, announcers: Sequence[Announcer]) -> None:
        self.announcers = announcers

    async def announce(self, community_id: int, announcement: DropAnnouncement) -> None:
        for announcer in self.announcers:
            await announcer.announce(community_id, announcement)

    async def announce_live(self, community_id: int, announcement: LiveAnnouncement) -> None:
        for announcer in self.announcers:
            await announcer.announce_live(community_id, announcement)

    async def shout_out(self, community_id: int, shout_out: ShoutOut) -> None:
        for announcer in self.announcers:
            await announcer.shout_out(community_id, shout_out)


class FirstReachable:
    """A fan hears a message once: on the first platform that reaches them. A platform
    that is down is passed over for the next; if none reached the fan and one was down,
    its error is raised, so the message is tried again later (core/notices.py)."""

    def __init__(self, messengers: Sequence[FanMessenger]) -> None:
        self.messengers = messengers

    async def send(self, fan_id: int, message: FanMessage) -> bool:
        down: Exception | None = None
        for messenger in self.messengers:
            try:
                if await messenger.send(fan_id, message):
                    return True
            except Exception as error:
                down = error
        if down is not None:
            raise down
        return False

    async def drop_url(self, drop_id: int) -> str | None:
        for messenger in self.messengers:
            if url := await messenger.drop_url(drop_id):
                return url
        return None


class EveryDesk:
    """The creator hears a note on every platform they run: whichever they look at first."""

    def __init__(self, desks: Sequence[CreatorDesk]) -> None:
        self.desks = desks

    async def tell(self, note: CreatorNote) -> bool:
        told = [await desk.tell(note) for desk in self.desks]
        return any(told)
