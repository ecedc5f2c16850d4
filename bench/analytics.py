"""Benchmark of `dropcast stats`: the full report over 1,000,000 orders and 5,000,000 link
taps and listens, on SQLite and on PostgreSQL.

The data is made by the database itself (generate_series, or a recursive CTE on SQLite) in
a scratch database: two years of weekly sessions, a drop every second week, 100,000 fans.
The report then runs in a fresh process, as `dropcast stats --json` would: first while no
rollup is built yet (build_s, the one-time cost after upgrading), then again (report_s),
then after 1,000 new orders, whose fans it recounts. Prints one JSON object per database:
{"db", "orders", "events", "fill_s", "build_s", "report_s", "report_after_1000_orders_s",
"peak_mb"}. Targets: report_s < 5 and peak_mb < 300 on each.

    python bench/analytics.py [--db sqlite|postgres|both] [--orders N] [--events N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bots.database import database, migrate
from core import sql
from tests.databases import scratch_database

FANS = 100_000
SESSIONS = 104  # two years, weekly
DROPS = SESSIONS // 2
CAMPAIGNS = DROPS
BASE = int(datetime(2024, 12, 5, 18, tzinfo=UTC).timestamp())  # a Thursday, 18:00 UTC
WEEK = 7 * 86400
LATE_ORDERS = 1_000  # paid after the rollups were built: the report recounts their fans


def _at(seconds: str) -> str:
    """A timestamp `seconds` after BASE, as each database stores it."""
    if sql.on_sqlite():
        return f"(strftime('%Y-%m-%d %H:%M:%S', {BASE} + ({seconds}), 'unixepoch') || '+00:00')"
    return f"to_timestamp({BASE} + ({seconds}))"


def _yes(yes: bool = True) -> str:
    if sql.on_sqlite():
        return "1" if yes else "0"
    return "TRUE" if yes else "FALSE"


async def _fill(table: str, columns: str, values: str, rows: int) -> None:
    """INSERT `rows` rows numbered by `i` (0-based), computed by the database."""
    if sql.on_sqlite():
        print(f"{table}: {rows} rows", file=sys.stderr, flush=True)
        await sql.rows(
            f"WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < {rows - 1}) "
            f'INSERT INTO "{table}" ({columns}) SELECT {values} FROM s'
        )
    else:
        await sql.rows(
            f'INSERT INTO "{table}" ({columns}) SELECT {values} '
            f"FROM generate_series(CAST(0 AS BIGINT), {rows - 1}) AS s(i)"
        )


async def fill(orders: int, events: int) -> None:
    listens = events * 2 // 5
    taps = events - listens
    deliveries = taps // 3
    per_session = listens // SESSIONS
    assert per_session <= FANS, "each fan listens to a session at most once"
    await _fill("fan", '"display_name", "tier", "dm_opt_in", "timezone", "created_at", '
                '"named_in_shout_outs"',
                f"'Fan ' || i, CASE WHEN i % 7 = 0 THEN 'supporter' ELSE 'fan' END, "
                f"{_yes()}, 'UTC', {_at('0')}, {_yes()}", FANS)  # fmt: skip
    await _fill("drop", '"code", "title", "description", "status", "early_access_minutes", '
                '"hold_minutes", "copy_variants", "members_only", "created_at", "opened_at", '
                '"ended_at"',
                f"'d' || i, 'Drop ' || i, '', 'closed', 0, 10, '[]', {_yes(False)}, {_at('0')}, "
                f"{_at(f'i * 2 * {WEEK}')}, {_at(f'i * 2 * {WEEK} + 86400')}", DROPS)  # fmt: skip
    await _fill("live_session", '"title", "starts_at", "planned_minutes", "drop_id", "status", '
                '"community_ids", "started_at", "ended_at", "created_at"',
                f"'Week ' || i, {_at(f'i * {WEEK}')}, 30, "
                f"CASE WHEN i % 2 = 0 THEN i / 2 + 1 END, 'ended', '[]', {_at(f'i * {WEEK}')}, "
                f"{_at(f'i * {WEEK} + 1800')}, {_at('0')}", SESSIONS)  # fmt: skip
    await _fill("drop_tier", '"drop_id", "position", "name", "kind", "price_minor", "currency", '
                '"stock", "available", "per_fan_limit", "content", "members_only"',
                f"i + 1, 0, 'Print', 'physical', 2500, 'EUR', {orders}, 0, 1, '', {_yes(False)}",
                DROPS)  # fmt: skip
    # order i: drop i % DROPS, fan spread over everyone, paid within a day of the opening
    drop = f"(i % {DROPS})"
    paid_at = _at(f"{drop} * 2 * {WEEK} + (i * 37) % 86400")
    fan = f"((i * 7919) % {FANS} + 1)"
    await _fill("reservation", '"tier_id", "fan_id", "status", "slot", "from_waitlist", '
                '"expires_at", "created_at"',
                f"{drop} + 1, {fan}, 'paid', i, {_yes(False)}, {paid_at}, {paid_at}",
                orders)  # fmt: skip
    await _fill("order", '"payment_id", "provider", "hold_id", "tier_id", "fan_id", '
                '"amount_minor", "currency", "status", "created_at"',
                f"'pi_' || i, 'stripe', i + 1, {drop} + 1, {fan}, 2500, 'EUR', "
                f"CASE WHEN i % 50 = 0 THEN 'refunded' ELSE 'paid' END, {paid_at}",
                orders)  # fmt: skip
    await _fill("attendance", '"session_id", "fan_id", "first_seen_at", "minutes"',
                f"i % {SESSIONS} + 1, i / {SESSIONS} + 1, "
                f"{_at(f'(i % {SESSIONS}) * {WEEK}')}, i % 31", listens)  # fmt: skip
    await _fill("campaign", '"name", "segment", "drop_id", "url", "status", "after_minutes", '
                '"created_at"',
                f"'Campaign ' || i, '{{{{}}}}', i + 1, '', 'queued', 0, {_at('0')}",
                CAMPAIGNS)  # fmt: skip
    await _fill("campaign_variant", '"campaign_id", "label", "template"',
                "i / 2 + 1, CASE WHEN i % 2 = 0 THEN 'A' ELSE 'B' END, 'New drop'",
                CAMPAIGNS * 2)  # fmt: skip
    sent_at = _at(f"(i % {CAMPAIGNS}) * 2 * {WEEK} + 3600")
    await _fill("delivery", '"campaign_id", "variant_id", "fan_id", "subject", "platform", '
                '"status", "not_before", "sent_at", "link_code", "attempts"',
                f"i % {CAMPAIGNS} + 1, (i % {CAMPAIGNS}) * 2 + 1 + i % 2, "
                f"i / {CAMPAIGNS} % {FANS} + 1, 'x' || (i / ({CAMPAIGNS} * {FANS})), "
                f"'telegram', 'sent', {sent_at}, {sent_at}, 'c' || i, 1", deliveries)  # fmt: skip
    await _fill("link", '"code", "target", "purpose", "ref", "clicks", "created_at"',
                f"'c' || i, 'https://example.com', 'delivery', CAST(i + 1 AS VARCHAR(64)), 3, "
                f"{sent_at}", deliveries)  # fmt: skip
    tap_at = _at(f"((i % {deliveries}) % {CAMPAIGNS}) * 2 * {WEEK} + 3600 + i % 7200")
    await _fill("link_click", '"link_id", "at"', f"i % {deliveries} + 1, {tap_at}", taps)
    await sql.rows("ANALYZE")


async def _timed_report() -> float:
    """Seconds for the full report, as `dropcast stats --json` builds and prints it."""
    from core.analytics.attribution import Weights
    from core.analytics.report import as_data, full_report

    started = time.perf_counter()
    report = await full_report(datetime.now(UTC), Weights())
    json.dumps(as_data(report))
    return round(time.perf_counter() - started, 2)


async def measure(url: str) -> dict[str, float]:
    """In this (fresh) process: the first report, which builds the rollups; the report
    again, with nothing changed; and the report after LATE_ORDERS new orders."""
    async with database(url):
        build_s = await _timed_report()
        report_s = await _timed_report()
        await _fill("order", '"payment_id", "provider", "tier_id", "fan_id", "amount_minor", '
                    '"currency", "status", "created_at"',
                    f"'pi_late_' || i, 'stripe', 1, (i * 97) % {FANS} + 1, 2500, 'EUR', 'paid', "
                    f"{_at(f'{SESSIONS} * {WEEK} + i')}", LATE_ORDERS)  # fmt: skip
        after_orders_s = await _timed_report()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "build_s": build_s,
        "report_s": report_s,
        f"report_after_{LATE_ORDERS}_orders_s": after_orders_s,
        "peak_mb": round(peak_mb, 1),
    }


async def run(db: str, orders: int, events: int) -> dict[str, object]:
    async with scratch_database(db, "bench_analytics") as url:
        await migrate(url)
        started = time.perf_counter()
        async with database(url):
            await fill(orders, events)
        fill_s = time.perf_counter() - started
        child = await asyncio.to_thread(
            subprocess.run, [sys.executable, __file__, "--measure", url],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        measured = json.loads(child.stdout.strip().splitlines()[-1])
    return {"db": db, "orders": orders, "events": events, "fill_s": round(fill_s, 1), **measured}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(asyncio.run(measure(args.measure))))
        return
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        print(json.dumps(asyncio.run(run(db, args.orders, args.events))), flush=True)


if __name__ == "__main__":
    main()
