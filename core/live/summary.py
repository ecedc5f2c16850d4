"""What a session did, for the creator at its end (and later): listeners, minutes listened,
live codes claimed, and the orders that came in during it and in the day after."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import timedelta

from core.live.views import get_session
from core.models import Attendance, LedgerEntry, LiveCode, Order
from core.ports import Clock

AFTER_WINDOW = timedelta(hours=24)  # orders this long after the end still count as the session's


@dataclass(frozen=True, slots=True)
class LiveSummary:
    """What a session did, for the creator at its end."""

    listeners: int
    minutes_listened: int
    code_claims: int
    orders_during: int
    orders_within_24h: int
    median_minutes_to_paid: float | None


async def summarize(clock: Clock, session_id: int) -> LiveSummary:
    """The session's figures; one still on air counts up to now."""
    session = await get_session(session_id)
    started = session.started_at
    if started is None:
        return LiveSummary(0, 0, 0, 0, 0, None)
    ended = session.ended_at or clock.now()
    codes = [
        f"code:{i}"
        for i in await LiveCode.filter(session_id=session_id).values_list("id", flat=True)
    ]
    claims = (
        await LedgerEntry.filter(reason="live_code", source_id__in=codes).count() if codes else 0
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
