"""Conversion lag: minutes from a live session's start, or a drop's opening, to each paid
order; its median, 90th percentile and histogram."""

from __future__ import annotations

import math
from dataclasses import dataclass

from core import sql
from core.analytics.dialect import minutes_between
from core.errors import NotFound

BUCKET_MINUTES = 5
HOURS_AFTER = 24  # orders this long after the start still count

_FROM = {
    "session": (
        'FROM "order" o JOIN "live_session" s ON s.id = {0} '
        "WHERE o.status = 'paid' AND s.started_at IS NOT NULL AND o.created_at >= s.started_at",
        "s.started_at",
    ),
    "drop": (
        'FROM "order" o JOIN "drop_tier" t ON t.id = o.tier_id JOIN "drop" d ON d.id = t.drop_id '
        "WHERE d.id = {0} AND o.status = 'paid' AND d.opened_at IS NOT NULL "
        "AND o.created_at >= d.opened_at",
        "d.opened_at",
    ),
    # every session together: an order within a day of two sessions counts after each
    "sessions": (
        'FROM "order" o JOIN "live_session" s ON s.started_at IS NOT NULL '
        "AND o.created_at >= s.started_at WHERE o.status = 'paid'",
        "s.started_at",
    ),
}


@dataclass(frozen=True, slots=True)
class Lag:
    orders: int
    median: float | None
    p90: float | None
    histogram: list[tuple[int, int]]  # (bucket's first minute, orders), buckets with orders


async def conversion_lag(kind: str, ref: int) -> Lag:
    """`kind` is "session" (from going live) or "drop" (from opening); `ref` its id."""
    table = "live_session" if kind == "session" else "drop"
    if not await sql.rows(f'SELECT 1 AS found FROM "{table}" WHERE id = {{0}}', ref):
        raise NotFound(f"there is no {'live session' if kind == 'session' else 'drop'} #{ref}")
    return await _measure(kind, ref)


async def lag_after_sessions() -> Lag:
    """Conversion lag over every session that went live, pooled."""
    return await _measure("sessions")


async def _measure(kind: str, *ref: int) -> Lag:
    source, start = _FROM[kind]
    minutes = minutes_between(start, "o.created_at")
    within = f" AND {minutes} <= {HOURS_AFTER * 60}"
    lags = f"SELECT {minutes} AS m {source}{within}"
    [counted] = await sql.rows(f"SELECT COUNT(*) AS n FROM ({lags}) x", *ref)
    orders = int(counted["n"])
    buckets = await sql.rows(
        f"SELECT CAST(m / {BUCKET_MINUTES} AS INTEGER) AS b, COUNT(*) AS n FROM ({lags}) x "
        "GROUP BY CAST(m / {BUCKET_MINUTES} AS INTEGER) ORDER BY 1".replace(
            "{BUCKET_MINUTES}", str(BUCKET_MINUTES)
        ),
        *ref,
    )
    return Lag(
        orders,
        await _quantile(lags, ref, orders, 0.5),
        await _quantile(lags, ref, orders, 0.9),
        [(int(row["b"]) * BUCKET_MINUTES, int(row["n"])) for row in buckets],
    )


async def _quantile(lags: str, ref: tuple[int, ...], orders: int, q: float) -> float | None:
    """The nearest-rank quantile, found by the database (ordered, one row read)."""
    if not orders:
        return None
    rank = max(1, math.ceil(round(q * orders, 9)))
    [row] = await sql.rows(f"SELECT m FROM ({lags}) x ORDER BY m LIMIT 1 OFFSET {rank - 1}", *ref)
    return round(float(row["m"]), 1)
