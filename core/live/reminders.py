"""Reminders and nudges: fans who said they would come are reminded a day and ten minutes
before and at the start; the creator is nudged once when a start time passes and the
session is not live; and the scheduled sessions' posts are refreshed (their countdowns)."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

import structlog
from tortoise.exceptions import IntegrityError

from core import sql
from core.bus import EventBus
from core.errors import InvalidState
from core.events import LiveLate, LiveReminderDue, LiveScheduled
from core.fans import FanRef, fan_id_of
from core.kinds import LiveStatus
from core.live.views import LiveView, get_session, live_view
from core.models import LiveSession, Rsvp
from core.ports import Clock

log = structlog.get_logger(__name__)

# reminders to those who said they would come: (stage, how long before the start)
REMINDERS = (("day", timedelta(hours=24)), ("soon", timedelta(minutes=10)))
_REMINDED = {
    stage: f'UPDATE "rsvp" SET "reminded_{stage}_at" = {{now}} WHERE "id" = {{id}} '
    f'AND "reminded_{stage}_at" IS NULL RETURNING "id"'
    for stage in ("day", "soon", "start")
}


class LiveReminders:
    def __init__(self, clock: Clock, bus: EventBus) -> None:
        self.clock = clock
        self.bus = bus

    async def refresh_countdowns(self) -> int:
        """Bring the posts of scheduled sessions up to date (adapters edit what changed)."""
        scheduled = await LiveSession.filter(status=LiveStatus.SCHEDULED)
        now = self.clock.now()
        await self.bus.publish(*(LiveScheduled(now, s.id, s.title) for s in scheduled))
        return len(scheduled)

    async def rsvp_as(self, session_id: int, fan: FanRef) -> LiveView:
        """The platform user will be there (`rsvp`): a button, or interest marked in the
        session's calendar entry."""
        return await self.rsvp(session_id, await fan_id_of(fan))

    async def rsvp(self, session_id: int, fan_id: int) -> LiveView:
        """The fan will be there: they get reminders a day and ten minutes before, and at
        the start. Saying it twice changes nothing."""
        session = await get_session(session_id)
        if session.status != LiveStatus.SCHEDULED:
            raise InvalidState(f"{session.title} is {session.status}: too late to sign up")
        with contextlib.suppress(IntegrityError):
            await Rsvp.create(session_id=session_id, fan_id=fan_id, created_at=self.clock.now())
        return live_view(session)

    async def remind_due(self) -> int:
        """Owe each reminder that is due, once (its stamp is claimed with the notice that
        sends it); derived from the database, so a restarted or second clock sends nothing
        twice. Returns how many came due."""
        if not await _any_session_on():
            return 0
        now, owed = self.clock.now(), 0
        for stage, before in REMINDERS:
            due = Rsvp.filter(
                session__status=LiveStatus.SCHEDULED,
                session__starts_at__lte=now + before,
                session__starts_at__gt=now,
                **{f"reminded_{stage}_at__isnull": True},
            )
            owed += await self._remind(await due.select_related("session"), stage, now)
        started = Rsvp.filter(session__status=LiveStatus.LIVE, reminded_start_at__isnull=True)
        owed += await self._remind(await started.select_related("session"), "start", now)
        return owed

    async def nudge_late(self) -> int:
        """Owe the creator, once, a nudge that a session's start time came and it is not
        live (written with the stamp, like reminders); returns how many sessions are late."""
        if not await _any_session_on():
            return 0
        now, late = self.clock.now(), 0
        due = LiveSession.filter(
            status=LiveStatus.SCHEDULED, starts_at__lte=now, nudged_at__isnull=True
        )
        for session in await due:
            async with self.bus.transaction() as changes:
                claimed = await LiveSession.filter(
                    id=session.id, status=LiveStatus.SCHEDULED, nudged_at__isnull=True
                ).update(nudged_at=now)
                if not claimed:
                    continue  # another clock owes it
                changes.add(LiveLate(now, session.id, session.title, session.starts_at))
            late += 1
            log.warning("live_session_not_started", session_id=session.id, title=session.title)
        return late

    async def _remind(self, rsvps: list[Rsvp], stage: str, now: datetime) -> int:
        """Each reminder is owed (a notice) in the transaction that stamps it, so a clock
        killed after the stamp still sends it, and one killed while sending never twice."""
        owed = 0
        for rsvp in rsvps:
            # a sign-up after a stage's moment gets the next stage only
            if stage == "day" and rsvp.session.starts_at - now <= REMINDERS[1][1]:
                continue
            session = rsvp.session
            words = "now" if stage == "start" else stage
            async with self.bus.transaction() as changes:
                if await sql.rows(_REMINDED[stage], now=now, id=rsvp.id):
                    changes.add(LiveReminderDue(
                        now, session.id, rsvp.fan_id, session.title, session.starts_at, words
                    ))  # fmt: skip
                    owed += 1
        return owed


async def _any_session_on() -> bool:
    """Whether any session is scheduled or live: the clock asks every second, and most
    seconds of a creator's week have none, so one cheap statement answers first."""
    return bool(await sql.rows(_SESSION_ON))


_SESSION_ON = (
    'SELECT 1 AS "on" FROM "live_session" WHERE "status" IN (\'scheduled\', \'live\') LIMIT 1'
)
