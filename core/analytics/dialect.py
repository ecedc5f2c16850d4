"""The few expressions SQLite and PostgreSQL write differently, for the metrics' queries."""

from __future__ import annotations

from core import sql


def minutes_between(start: str, end: str) -> str:
    if sql.on_sqlite():
        return f"((julianday({end}) - julianday({start})) * 1440.0)"
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 60.0)"


def week_of(moment: str) -> str:
    """The Monday (a date, as text) of the week `moment` falls in, in UTC."""
    if sql.on_sqlite():
        return f"date({moment}, '-6 days', 'weekday 1')"
    return f"to_char(date_trunc('week', {moment} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
