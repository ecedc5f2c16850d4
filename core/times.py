"""Reading the times creators type: ISO 8601, or relative like "+30m" / "in 2h"."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.errors import InvalidInput

_RELATIVE = re.compile(r"^\s*(?:\+|in\s+)(?P<n>\d+)\s*(?P<unit>[smhd])\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
# Nothing a creator plans is ten years out; past this a typo would overflow the calendar
# (and the clock's arithmetic on the time) instead of meaning something.
FARTHEST = timedelta(days=3650)


def known_zone(zone: str) -> str:
    """The zone's name if this machine knows it (IANA names: "Europe/Paris", "UTC")."""
    try:
        ZoneInfo(zone)
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        named = zone[:64]
        raise InvalidInput(f"unknown time zone {named!r}: use a name like Europe/Paris") from None
    return zone


def parse_when(
    text: str, *, now: datetime, zone: str = "UTC", relative_to: datetime | None = None
) -> datetime:
    """An aware UTC datetime; a time without an offset is read in the creator's `zone`.
    A relative time counts from `relative_to` (a drop's closing from its opening), else now."""
    base = relative_to or now
    relative = _RELATIVE.match(text)
    if relative:
        unit = _UNITS[relative["unit"].lower()]
        try:
            step = timedelta(**{unit: int(relative["n"])})
        except OverflowError:
            step = FARTHEST * 2
        if step > FARTHEST:
            raise _too_far(text)
        return base + step
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not a time: use ISO 8601 (2026-12-01T18:00+01:00) or +30m / in 2h"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    try:
        moment = moment.astimezone(ZoneInfo("UTC"))
    except OverflowError:  # the first or last hours of the calendar, moved to UTC
        raise InvalidInput(f"{text.strip()!r} is outside the calendar") from None
    if moment - now > FARTHEST:
        raise _too_far(text)
    return moment


def _too_far(text: str) -> InvalidInput:
    return InvalidInput(f"{text.strip()!r} is more than ten years away: give a nearer time")


def parse_opening(text: str, *, now: datetime, zone: str = "UTC") -> datetime | None:
    """When a new drop opens, as a creator types it in a chat: "now" (None) or a future time."""
    if text.strip().lower() == "now":
        return None
    opens_at = parse_when(text, now=now, zone=zone)
    if opens_at <= now:
        raise InvalidInput("that time is in the past")
    return opens_at
