"""A burst of reservation attempts by distinct fans on one drop, against bare conditional
UPDATEs through the same driver in the same run. Prints one JSON object.

    python bench/drop_burst.py --db sqlite|postgres [--attempts 5000] [--units 50]
        [--concurrency 64] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from tortoise import BaseDBAsyncClient, connections

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bots.bootstrap import bootstrap
from bots.database import database, migrate
from config import load_settings
from core.app import Core
from core.drops.specs import TierSpec
from core.errors import SoldOut
from core.kinds import HoldStatus
from core.models import Fan, Reservation
from core.money import parse_price
from tests.databases import scratch_database

RAW_UPDATE = (
    'UPDATE "drop_tier" SET "available" = "available" - 1 WHERE "id" = {id} AND "available" >= 1'
)


async def timed_burst(
    calls: list[Callable[[], Awaitable[object]]], concurrency: int
) -> tuple[float, list[float]]:
    """Run every call with at most `concurrency` in flight: (calls per second, latencies ms)."""
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one(call: Callable[[], Awaitable[object]]) -> None:
        async with gate:
            began = time.perf_counter()
            await call()
            latencies.append((time.perf_counter() - began) * 1000)

    began = time.perf_counter()
    await asyncio.gather(*(one(call) for call in calls))
    return len(calls) / (time.perf_counter() - began), latencies


async def measure(
    url: str, db: str, attempts: int, units: int, concurrency: int, rounds: int
) -> dict[str, object]:
    """Each round bursts a fresh drop; the round with the median ratio is reported."""
    await migrate(url)
    async with database(url):
        core = bootstrap(load_settings(database_url=url)).core
        await Fan.bulk_create([Fan(display_name=f"Fan {n}") for n in range(attempts)])
        fan_ids = list(await Fan.all().order_by("id").values_list("id", flat=True))
        connection = connections.get("sqlite" if db == "sqlite" else "postgres")
        results = [
            await burst_round(core, connection, fan_ids, units, concurrency) for _ in range(rounds)
        ]
    result = sorted(results, key=lambda r: r["ratio"])[len(results) // 2]
    return {"db": db, "attempts": attempts, "units": units, **result, "concurrency": concurrency}


async def burst_round(
    core: Core, connection: BaseDBAsyncClient, fan_ids: list[int], units: int, concurrency: int
) -> dict[str, object]:
    tier = TierSpec("Burst", "digital", parse_price("5.00 EUR"), units, 1, "BURST-CODE")
    drop = await core.drops.open((await core.drops.create("Burst", [tier])).id)
    raw = await core.drops.create("Raw", [tier])
    tier_id = drop.tiers[0].id

    def reserve(fan_id: int) -> Callable[[], Awaitable[object]]:
        async def attempt() -> None:
            with contextlib.suppress(SoldOut):
                await core.holds.reserve(tier_id, fan_id)

        return attempt

    statement = RAW_UPDATE.format(id=raw.tiers[0].id)
    reserve_per_s, latencies = await timed_burst([reserve(f) for f in fan_ids], concurrency)
    raw_per_s, _ = await timed_burst(
        [lambda: connection.execute_query(statement) for _ in fan_ids], concurrency
    )
    taken = await Reservation.filter(
        tier_id=tier_id, status__in=(HoldStatus.HELD, HoldStatus.PAID)
    ).count()
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "sold": taken,
        "oversold": max(0, taken - units),
        "reserve_per_s": round(reserve_per_s),
        "p50_ms": round(cuts[49], 2),
        "p99_ms": round(cuts[98], 2),
        "raw_update_per_s": round(raw_per_s),
        "ratio": round(reserve_per_s / raw_per_s, 2),
    }


async def main(args: argparse.Namespace) -> dict[str, object]:
    figures = (args.attempts, args.units, args.concurrency, args.rounds)
    async with scratch_database(args.db, "dropcast_bench") as url:
        return await measure(url, args.db, *figures)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--attempts", type=int, default=5000)
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    print(json.dumps(asyncio.run(main(parser.parse_args()))))
