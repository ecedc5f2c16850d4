"""Fans racing for units, in this process or from other OS processes (own connections)."""

from __future__ import annotations

import asyncio
from threading import Barrier

from bots.bootstrap import bootstrap
from bots.database import database
from config import load_settings
from core.errors import SoldOut
from core.models import Fan


async def race(database_url: str, tier_id: int, fan_ids: list[int]) -> tuple[int, int]:
    """Every fan taps Buy at once; returns (holds placed, sold-out refusals). Any other
    outcome raises, failing the test."""
    core = bootstrap(load_settings(database_url=database_url)).core

    async def tap(fan_id: int) -> bool:
        try:
            await core.holds.reserve(tier_id, fan_id)
        except SoldOut:
            return False
        return True

    results = await asyncio.gather(*(tap(fan_id) for fan_id in fan_ids))
    return sum(results), len(results) - sum(results)


def race_in_process(
    database_url: str, tier_id: int, fan_ids: list[int], start: Barrier
) -> tuple[int, int]:
    """A worker process: connect, wait until every worker is connected, then race."""

    async def main() -> tuple[int, int]:
        async with database(database_url, pool_size=10):
            await Fan.filter(id=fan_ids[0]).exists()  # connected before the start signal
            await asyncio.to_thread(start.wait, 60)
            return await race(database_url, tier_id, fan_ids)

    return asyncio.run(main())
