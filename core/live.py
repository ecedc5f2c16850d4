"""Live audio sessions: scheduled → live → ended (or cancelled), each step one conditional
update; live codes said on air and check-ins record who was there and earn points once."""

from __future__ import annotations

import contextlib
import secrets
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from tortoise.exceptions import IntegrityError

from core import sql
from core.bus import EventBus
from core.drops.specs import check_title
from core.errors import InvalidInput, InvalidState, NotFound
from core.events import (
    LiveCancelled,
    LiveEnded,
    LiveLate,
    LiveReminderDue,
    LiveScheduled,
    LiveStarted,
)
from core.linking import ALPHABET
from core.models import (
    Attendance,
    Community,
    Drop,
    LedgerEntry,
    LiveCode,
    LiveSession,
    LiveStatus,
    Order,
    Rsvp,
)
from core.ports import Clock
from core.recognition import Recognition

CODE_MINUTES = 5
AFTER_WINDOW = timedelta(hours=24)  # orders this long after the end still count as the session's

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class LiveView:
    id: int
    title: str
    status: str
    starts_at: datetime
    planned_minutes: int
    drop_id: int | None


@dataclass(frozen=True, slots=True)
class LiveSummary:
    """What a session did, for the creator at its end."""

    listeners: int
    minutes_listened: int
    code_claims: int
    orders_during: int
    orders_within_24h: int
    median_minutes_to_paid: float | None


# reminders to those who said they would come: (stage, how long before the start)
REMINDERS = (("day", timedelta(hours=24)), ("soon", timedelta(minutes=10)))
_REMINDED = (
    'UPDATE "rsvp" SET "reminded_{stage}_at" = {{0}} WHERE "id" = {{1}} '
    'AND "reminded_{stage}_at" IS NULL RETURNING "id"'
)


class LiveSessions:
    def __init__(
        self,
        clock: Clock,
        bus: EventBus,
        recognition: Recognition,
    ) -> None:
        self.clock = clock
        self.bus = bus
        self.recognition = recognition

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
        return _view(session)

    async def start(self, session_id: int, *, voice_channel_ref: str | None = None) -> LiveView:
        """Go live; on Discord, who is in `voice_channel_ref` from now on is listening."""
        now = self.clock.now()
        session = await self._move(
            session_id,
            LiveStatus.SCHEDULED,
            LiveStatus.LIVE,
            started_at=now,
            voice_channel_ref=voice_channel_ref,
        )
        return session

    async def end(self, session_id: int) -> LiveSummary:
        now = self.clock.now()
        session = await self._move(session_id, LiveStatus.LIVE, LiveStatus.ENDED, ended_at=now)
        for listening in await Attendance.filter(
            session_id=session.id, listening_since__isnull=False
        ):
            await self._stop_listening(listening)
        await self._award_minutes(session.id)
        return await self.summary(session.id)

    async def cancel(self, session_id: int) -> LiveView:
        return await self._move(session_id, LiveStatus.SCHEDULED, LiveStatus.CANCELLED)

    async def refresh_countdowns(self) -> int:
        """Bring the posts of scheduled sessions up to date (adapters edit what changed)."""
        scheduled = await LiveSession.filter(status=LiveStatus.SCHEDULED)
        now = self.clock.now()
        await self.bus.publish(*(LiveScheduled(now, s.id, s.title) for s in scheduled))
        return len(scheduled)

    async def rsvp(self, session_id: int, fan_id: int) -> LiveView:
        """The fan will be there: they get reminders a day and ten minutes before, and at
        the start. Saying it twice changes nothing."""
        session = await _get(session_id)
        if session.status != LiveStatus.SCHEDULED:
            raise InvalidState(f"{session.title} is {session.status}: too late to sign up")
        with contextlib.suppress(IntegrityError):
            await Rsvp.create(session_id=session_id, fan_id=fan_id, created_at=self.clock.now())
        return _view(session)

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
                if await sql.rows(_REMINDED.format(stage=stage), now, rsvp.id):
                    changes.add(LiveReminderDue(
                        now, session.id, rsvp.fan_id, session.title, session.starts_at, words
                    ))  # fmt: skip
                    owed += 1
        return owed

    async def new_code(self, minutes: int = CODE_MINUTES) -> str:
        """A code for the session on air now, to say out loud; valid for `minutes`."""
        session = await self._live()
        code = "".join(secrets.choice(ALPHABET) for _ in range(6))
        expires_at = self.clock.now() + timedelta(minutes=minutes)
        await LiveCode.create(session_id=session.id, code=code, expires_at=expires_at)
        return code

    async def claim(self, code: str, fan_id: int) -> int:
        """Points for a code heard on air, once per fan and code; returns the points."""
        found = await LiveCode.get_or_none(code=code.strip().upper()[:16])
        if found is None:
            raise InvalidInput(f"{code.strip()[:16]!r} is not a live code")
        if found.expires_at <= self.clock.now():
            raise InvalidState("that live code has expired: listen for the next one")
        points = self.recognition.rules.code_points
        if not await self.recognition.award(fan_id, points, "live_code", f"code:{found.id}"):
            raise InvalidState("you claimed that code already")
        await self._attend(found.session_id, fan_id)
        return points

    async def check_in(self, fan_id: int) -> LiveView:
        """A fan says they are listening to the session on air now."""
        session = await self._live()
        await self._attend(session.id, fan_id)
        return _view(session)

    async def joined_voice(self, channel_ref: str, fan_id: int) -> None:
        """A fan entered the live session's voice channel: minutes count from now."""
        session = await LiveSession.get_or_none(
            status=LiveStatus.LIVE, voice_channel_ref=channel_ref
        )
        if session is None:
            return
        await self._attend(session.id, fan_id)
        await Attendance.filter(
            session_id=session.id, fan_id=fan_id, listening_since__isnull=True
        ).update(listening_since=self.clock.now())

    async def left_voice(self, channel_ref: str, fan_id: int) -> None:
        listening = await Attendance.get_or_none(
            session__voice_channel_ref=channel_ref,
            session__status=LiveStatus.LIVE,
            fan_id=fan_id,
            listening_since__isnull=False,
        )
        if listening is not None:
            await self._stop_listening(listening)

    async def _stop_listening(self, listening: Attendance) -> None:
        """Close a listening interval once, adding its whole minutes."""
        since = listening.listening_since
        assert since is not None
        minutes = int((self.clock.now() - since).total_seconds() // 60)
        await Attendance.filter(id=listening.id, listening_since=since).update(
            listening_since=None, minutes=listening.minutes + minutes
        )

    async def _award_minutes(self, session_id: int) -> None:
        rules = self.recognition.rules
        for fan_id, minutes in await Attendance.filter(
            session_id=session_id, minutes__gt=0
        ).values_list("fan_id", "minutes"):
            points = min(minutes, rules.minutes_cap) * rules.points_per_minute
            if points:
                await self.recognition.award(fan_id, points, "minutes", f"live:{session_id}")

    async def summary(self, session_id: int) -> LiveSummary:
        session = await _get(session_id)
        started = session.started_at
        if started is None:
            return LiveSummary(0, 0, 0, 0, 0, None)
        ended = session.ended_at or self.clock.now()
        codes = [
            f"code:{i}"
            for i in await LiveCode.filter(session_id=session_id).values_list("id", flat=True)
        ]
        claims = (
            await LedgerEntry.filter(reason="live_code", source_id__in=codes).count()
            if codes
            else 0
        )
        paid = await Order.filter(
            created_at__gte=started, created_at__lte=ended + AFTER_WINDOW
        ).values_list("created_at", flat=True)
        minutes = [(moment - started).total_seconds() / 60 for moment in paid]  # type: ignore[operator]
        listened: list[int] = list(
            await Attendance.filter(session_id=session_id).values_list("minutes", flat=True)  # type: ignore[arg-type]
        )
        return LiveSummary(
            listeners=len(listened),
            minutes_listened=sum(listened),
            code_claims=claims,
            orders_during=sum(moment <= ended for moment in paid),  # type: ignore[operator]
            orders_within_24h=len(paid),
            median_minutes_to_paid=round(statistics.median(minutes), 1) if minutes else None,
        )

    async def _attend(self, session_id: int, fan_id: int) -> None:
        with contextlib.suppress(IntegrityError):  # there already: once is enough
            await Attendance.create(
                session_id=session_id, fan_id=fan_id, first_seen_at=self.clock.now()
            )

    async def _live(self) -> LiveSession:
        session = await LiveSession.filter(status=LiveStatus.LIVE).order_by("-started_at").first()
        if session is None:
            raise InvalidState("there is no live session right now")
        return session

    async def _move(
        self, session_id: int, was: LiveStatus, to: LiveStatus, **changes: object
    ) -> LiveView:
        async with self.bus.transaction() as said:
            moved = await LiveSession.filter(id=session_id, status=was).update(status=to, **changes)
            session = await _get(session_id)
            if not moved:
                raise InvalidState(f"session #{session_id} is {session.status}, not {was}")
            now = self.clock.now()
            said.add(
                LiveStarted(now, session.id, session.title, session.drop_id)
                if to == LiveStatus.LIVE
                else _MOVED[to](now, session.id, session.title)
            )
        return _view(session)


async def _any_session_on() -> bool:
    """Whether any session is scheduled or live: the clock asks every second, and most
    seconds of a creator's week have none, so one cheap statement answers first."""
    return bool(await sql.rows(_SESSION_ON))


_SESSION_ON = (
    'SELECT 1 AS "on" FROM "live_session" WHERE "status" IN (\'scheduled\', \'live\') LIMIT 1'
)
_MOVED = {LiveStatus.ENDED: LiveEnded, LiveStatus.CANCELLED: LiveCancelled}


async def _get(session_id: int) -> LiveSession:
    session = await LiveSession.get_or_none(id=session_id)
    if session is None:
        raise NotFound(f"there is no live session #{session_id}")
    return session


def _view(session: LiveSession) -> LiveView:
    return LiveView(
        session.id,
        session.title,
        session.status.value,
        session.starts_at,
        session.planned_minutes,
        session.drop_id,
    )
