"""Who was there: live codes said on air and claimed for points, check-ins, and the minutes
a fan listens in the session's voice channel (points for them once the session ends)."""

from __future__ import annotations

import contextlib
import secrets
from datetime import timedelta

from tortoise.exceptions import IntegrityError

from core.account_linking import ALPHABET
from core.consent import Consent
from core.errors import InvalidInput, InvalidState
from core.fans import FanRef, fan_id_of
from core.kinds import LiveStatus
from core.live.views import LiveView, live_view
from core.models import Attendance, LiveCode, LiveSession
from core.ports import Clock
from core.recognition import Recognition

CODE_MINUTES = 5


class LiveAttendance:
    def __init__(self, clock: Clock, recognition: Recognition, consent: Consent) -> None:
        self.clock = clock
        self.recognition = recognition
        self.consent = consent

    async def new_code(self, minutes: int = CODE_MINUTES) -> str:
        """A code for the session on air now, to say out loud; valid for `minutes`."""
        session = await self._live()
        code = "".join(secrets.choice(ALPHABET) for _ in range(6))
        expires_at = self.clock.now() + timedelta(minutes=minutes)
        await LiveCode.create(session_id=session.id, code=code, expires_at=expires_at)
        return code

    async def claim_as(self, code: str, fan: FanRef, *, opting_in: str | None = None) -> int:
        """The platform user claims a code heard on air (`claim`). Claimed by a link that
        also starts the chat with the bot, it is a yes to DMs there too, recorded first
        (`opting_in` says how), whether or not the code still counts."""
        fan_id = await fan_id_of(fan)
        if opting_in is not None:
            await self.consent.give(fan_id, fan.platform, opting_in)
        return await self.claim(code, fan_id)

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
        return live_view(session)

    async def check_in_as(self, fan: FanRef) -> LiveView:
        """The platform user checks in to the session on air (`check_in`)."""
        return await self.check_in(await fan_id_of(fan))

    async def voice_moved(self, fan: FanRef, left: str | None, joined: str | None) -> None:
        """The platform user left a voice channel, joined one, or both at once; only a live
        session's channel counts (`left_voice`, `joined_voice`)."""
        fan_id = await fan_id_of(fan)
        if left is not None:
            await self.left_voice(left, fan_id)
        if joined is not None:
            await self.joined_voice(joined, fan_id)

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

    async def session_ended(self, session_id: int) -> None:
        """The session is over: close every listening interval still open, then award
        each fan's minutes."""
        for listening in await Attendance.filter(
            session_id=session_id, listening_since__isnull=False
        ):
            await self._stop_listening(listening)
        await self._award_minutes(session_id)

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
