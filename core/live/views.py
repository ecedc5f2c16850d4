"""What callers get back about a live session (plain values, never ORM rows), and the
lookup every step of a session's life starts from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.errors import NotFound
from core.models import LiveSession


@dataclass(frozen=True, slots=True)
class LiveView:
    id: int
    title: str
    status: str
    starts_at: datetime
    planned_minutes: int
    drop_id: int | None


async def get_session(session_id: int) -> LiveSession:
    session = await LiveSession.get_or_none(id=session_id)
    if session is None:
        raise NotFound(f"there is no live session #{session_id}")
    return session


def live_view(session: LiveSession) -> LiveView:
    return LiveView(
        session.id,
        session.title,
        session.status.value,
        session.starts_at,
        session.planned_minutes,
        session.drop_id,
    )
