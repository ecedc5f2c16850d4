"""Conversion lag: minutes from a live session's start, or a drop's opening, to each paid
order; its median, 90th percentile and histogram."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from core import sql
from core.analytics.dialect import minutes_between, soon_after, soon_before
from core.analytics.rollups import Fans, Rollup, totals
from core.errors import NotFound

BUCKET_MINUTES = 5
HOURS_AFTER = 24  # orders this long after the start still count

_EXISTS = {
    "session": 'SELECT 1 AS found FROM "live_session" WHERE id = {ref}',
    "drop": 'SELECT 1 AS found FROM "drop" WHERE id = {ref}',
}
# each kind's paid orders after its start: {ref} is the session's or the drop's id
_FROM = {
    "session": (
        'FROM "order" o JOIN "live_session" s ON s.id = {ref} '
        "WHERE o.status = 'paid' AND s.started_at IS NOT NULL AND o.created_at >= s.started_at",
        "s.started_at",
    ),
    "drop": (
        'FROM "order" o JOIN "drop_tier" t ON t.id = o.tier_id JOIN "drop" d ON d.id = t.drop_id '
        "WHERE d.id = {ref} AND o.status = 'paid' AND d.opened_at IS NOT NULL "
        "AND o.created_at >= d.opened_at",
        "d.opened_at",
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
    if not await sql.rows(_EXISTS[kind], ref=ref):
        raise NotFound(f"there is no {'live session' if kind == 'session' else 'drop'} #{ref}")
    return await _measure(kind, ref)


def _pooled_parts(fans: Fans) -> str:
    """Per fan, lag bucket and lag in tenths of a minute ("3|157", the key): n1 orders. An
    order within a day of two sessions counts after each."""
    minutes = minutes_between("s.started_at", "o.created_at")
    window = HOURS_AFTER * 60
    lags = (
        f"SELECT o.fan_id AS fan_id, CAST({minutes} / {BUCKET_MINUTES} AS INTEGER) AS b, "
        f"CAST(ROUND({minutes} * 10) AS INTEGER) AS t "
        # the sessions started in the day before the order, which their index finds
        'FROM "order" o JOIN "live_session" s ON s.started_at <= o.created_at '
        f"AND s.started_at >= {soon_before('o.created_at', window)} "
        f"WHERE o.status = 'paid' AND {fans('o.fan_id')} AND {minutes} <= {window}"
    )
    return (
        "SELECT fan_id, CAST(b AS VARCHAR(20)) || '|' || CAST(t AS VARCHAR(20)) AS key, "
        f"COUNT(*) AS n1, 0 AS n2, 0 AS n3, 0 AS n4, 0 AS n5 FROM ({lags}) x "
        "GROUP BY fan_id, b, t"
    )


POOLED = Rollup("lag after sessions", _pooled_parts)


async def lag_after_sessions() -> Lag:
    """Conversion lag over every session that went live, pooled."""
    buckets: Counter[int] = Counter()
    tenths: Counter[int] = Counter()
    for total in await totals(POOLED):
        bucket, tenth = total.key.split("|")
        buckets[int(bucket) * BUCKET_MINUTES] += total.n[0]
        tenths[int(tenth)] += total.n[0]
    orders = sum(buckets.values())
    if not orders:
        return Lag(0, None, None, [])
    ranks = _ranks(orders)
    at: dict[int, float] = {}
    seen = 0
    for tenths_in, n in sorted(tenths.items()):
        at.update((r, tenths_in / 10) for r in ranks if seen < r <= seen + n)
        seen += n
    return Lag(orders, at[ranks[0]], at[ranks[1]], sorted(buckets.items()))


def _ranks(orders: int) -> tuple[int, int]:
    """The nearest ranks of the median and the 90th percentile."""
    median, p90 = (max(1, math.ceil(round(q * orders, 9))) for q in (0.5, 0.9))
    return median, p90


async def _measure(kind: str, ref: int) -> Lag:
    # written here, not once: the minutes are counted in the dialect's own date arithmetic
    source, start = _FROM[kind]
    minutes = minutes_between(start, "o.created_at")
    window = HOURS_AFTER * 60
    lags = (
        f"SELECT {minutes} AS m {source} AND o.created_at <= {soon_after(start, window)} "
        f"AND {minutes} <= {window}"
    )
    buckets = await sql.rows(
        f"SELECT CAST(m / {BUCKET_MINUTES} AS INTEGER) AS b, COUNT(*) AS n FROM ({lags}) x "
        f"GROUP BY CAST(m / {BUCKET_MINUTES} AS INTEGER) ORDER BY 1",
        ref=ref,
    )
    histogram = [(int(row["b"]) * BUCKET_MINUTES, int(row["n"])) for row in buckets]
    orders = sum(n for _, n in histogram)
    if not orders:
        return Lag(0, None, None, [])
    median, p90 = _ranks(orders)
    # nearest-rank quantiles, picked by the database from the ordered lags
    picked = await sql.rows(
        f"SELECT r, m FROM (SELECT m, ROW_NUMBER() OVER (ORDER BY m) AS r FROM ({lags}) x) y "
        "WHERE r IN ({median}, {p90})",
        ref=ref,
        median=median,
        p90=p90,
    )
    at = {int(row["r"]): round(float(row["m"]), 1) for row in picked}
    return Lag(orders, at[median], at[p90], histogram)
