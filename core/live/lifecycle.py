"""A live session's life as the creator drives it: scheduled → live → ended (or cancelled),
each step one conditional update, so a repeated command finds nothing left to change."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from core.bus import EventBus
from core.drops.specs import check_title
from core.errors import InvalidInput, InvalidState, NotFound
from core.events import LiveCancelled, LiveEnded, LiveScheduled, LiveStarted
from core.fans import FanRef
from core.kinds import LiveStatus
from core.live.attendance import LiveAttendance
from core.live.summary import LiveSummary, summarize
from core.live.views import LiveView, get_session, live_view
from core.models import Community, Drop, LiveSession
from core.ports import Clock


class LiveLifecycle:
    def __init__(self, clock: Clock, bus: EventBus, attendance: LiveAttendance) -> None:
        self.clock = clock
        self.bus = bus
        self.attendance = attendance

    async def schedule(
        self,
        title: str,
        starts_at: datetime,
        *,
        minutes: int = 30,
        drop_id: int | None = None,
        communities: list[int] | None = None,
    ) -> LiveView:
        """Plan a session, announced in `communities` (every connected one if None)."""
        title = check_title(title, "a live session")
        if starts_at.tzinfo is None or starts_at <= self.clock.now():
            raise InvalidInput("a session starts at a future time with a time zone")
        if not 5 <= minutes <= 240:
            raise InvalidInput(f"a session lasts 5 to 240 minutes, not {minutes}")
        if drop_id is not None and not await Drop.exists(id=drop_id):
            raise NotFound(f"there is no drop #{drop_id}")
        wanted = sorted(set(communities or []))
        known = await Community.filter(id__in=wanted).values_list("id", flat=True)
        if unknown := sorted(set(wanted) - set(known)):
            raise NotFound(f"there is no community #{unknown[0]} (dropcast live communities)")
        async with self.bus.transaction() as changes:
            session = await LiveSession.create(
                title=title,
                starts_at=starts_at,
                planned_minutes=minutes,
                drop_id=drop_id,
                community_ids=wanted,
            )
            changes.add(LiveScheduled(self.clock.now(), session.id, session.title))
        return live_view(session)

    async def start(
        self,
        session_id: int,
        *,
        voice_channel_ref: str | None = None,
        listening: Iterable[FanRef] = (),
    ) -> LiveView:
        """Go live; on Discord, who is in `voice_channel_ref` from now on is listening,
        starting with `listening`: those in the room already, whom the platform will not
        tell of again."""
        now = self.clock.now()
        session = await self._move(
            session_id,
            LiveStatus.SCHEDULED,
            LiveStatus.LIVE,
            started_at=now,
            voice_channel_ref=voice_channel_ref,
        )
        if voice_channel_ref is not None:
            for fan in listening:
                await self.attendance.voice_moved(fan, None, voice_channel_ref)
        return session

    async def end(self, session_id: int) -> LiveSummary:
        now = self.clock.now()
        session = await self._move(session_id, LiveStatus.LIVE, LiveStatus.ENDED, ended_at=now)
        await self.attendance.session_ended(session.id)
        return await summarize(self.clock, session.id)

    async def cancel(self, session_id: int) -> LiveView:
        return await self._move(session_id, LiveStatus.SCHEDULED, LiveStatus.CANCELLED)

    async def _move(
        self, session_id: int, was: LiveStatus, to: LiveStatus, **changes: object
    ) -> LiveView:
        async with self.bus.transaction() as said:
            moved = await LiveSession.filter(id=session_id, status=was).update(status=to, **changes)
            session = await get_session(session_id)
            if not moved:
                raise InvalidState(f"session #{session_id} is {session.status}, not {was}")
            now = self.clock.now()
            said.add(
                LiveStarted(now, session.id, session.title, session.drop_id)
                if to == LiveStatus.LIVE
                else _MOVED[to](now, session.id, session.title)
            )
        return live_view(session)

    async def summary(self, session_id: int) -> LiveSummary:
        """What a session did (core/live/summary.py)."""
        return await summarize(self.clock, session_id)


_MOVED = {LiveStatus.ENDED: LiveEnded, LiveStatus.CANCELLED: LiveCancelled}
