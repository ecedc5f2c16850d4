"""Expressions the metrics' queries share, among them the few that SQLite and PostgreSQL
write differently."""

from __future__ import annotations

from core import sql


def dm_link(link: str, delivery: str) -> str:
    """Join condition: `link` is the link of the campaign DM `delivery`. Said both ways, so
    that either side's index can lead: from a fan's deliveries to their links when one fan
    is recounted, from the taps to their deliveries when every fan is. The CASE keeps
    PostgreSQL from casting other links' refs, which need not be numbers."""
    return (
        f"{link}.purpose = 'delivery' AND {link}.ref = CAST({delivery}.id AS VARCHAR(64)) "
        f"AND {delivery}.id = CASE WHEN {link}.purpose = 'delivery' "
        f"THEN CAST({link}.ref AS INTEGER) END"
    )


def minutes_between(start: str, end: str) -> str:
    if sql.on_sqlite():
        return f"((julianday({end}) - julianday({start})) * 1440.0)"
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 60.0)"


def week_of(moment: str) -> str:
    """The Monday (a date, as text) of the week `moment` falls in, in UTC."""
    if sql.on_sqlite():
        return f"date({moment}, '-6 days', 'weekday 1')"
    return f"to_char(date_trunc('week', {moment} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"


def month_of(moment: str) -> str:
    """`YYYY-MM` of `moment`, in UTC."""
    if sql.on_sqlite():
        return f"strftime('%Y-%m', {moment})"
    return f"to_char({moment} AT TIME ZONE 'UTC', 'YYYY-MM')"


def month_after(month: str) -> str:
    """The `YYYY-MM` after a `YYYY-MM`."""
    if sql.on_sqlite():
        return f"strftime('%Y-%m', {month} || '-01', '+1 month')"
    return f"to_char(CAST({month} || '-01' AS DATE) + INTERVAL '1 month', 'YYYY-MM')"


def soon_after(moment: str, minutes: int) -> str:
    """A bound a little over `minutes` after `moment`, comparable with stored timestamps (so
    an index can narrow a range before the exact test)."""
    return _shifted(moment, minutes + 1)


def soon_before(moment: str, minutes: int) -> str:
    """A bound a little over `minutes` before `moment`, as `soon_after`."""
    return _shifted(moment, -(minutes + 1))


def _shifted(moment: str, minutes: int) -> str:
    if sql.on_sqlite():
        return f"strftime('%Y-%m-%d %H:%M:%S', {moment}, '{minutes:+d} minutes')"
    return f"({moment} + INTERVAL '{minutes} minutes')"


def paid_within(order: str, fan: str, moment: str, minutes: int) -> str:
    """Join condition: `order` is a paid order of `fan` placed from `moment` to `minutes`
    after. Driving from the earlier event lets the orders' (fan_id, created_at) index pick
    each fan's few orders in range, where joining every order to every event of its fan
    would test millions of pairs (bench/analytics.py)."""
    return (
        f"{order}.fan_id = {fan} AND {order}.status = 'paid' AND {order}.created_at >= {moment} "
        f"AND {order}.created_at <= {soon_after(moment, minutes)} "
        f"AND {minutes_between(moment, f'{order}.created_at')} <= {minutes}"
    )
