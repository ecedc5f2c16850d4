"""Invariant 1: never sell more units than stock, under any concurrency, on SQLite and
PostgreSQL: 500 fans race for 50 units over several connections and several processes."""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pytest
from tortoise.exceptions import IntegrityError

from core.drops.views import drop_view
from core.kinds import HoldStatus
from core.models import DropTier, Fan, Reservation
from tests.builders import open_drop, tier
from tests.integration.reservers import race, race_in_process

FANS = 500
UNITS = 50
PROCESSES = 4


async def racers() -> list[int]:
    await Fan.bulk_create([Fan(display_name=f"Racer {n}") for n in range(FANS)])
    return list(await Fan.all().order_by("id").values_list("id", flat=True))


async def assert_sold_exactly_stock(drop_id: int) -> None:
    view = await drop_view(drop_id)
    [line] = view.tiers
    assert await Reservation.filter(tier_id=line.id, status=HoldStatus.HELD).count() == UNITS
    assert line.available == 0
    assert line.held + line.sold == line.stock
    assert view.status == "sold_out"


async def test_500_fans_over_a_connection_pool_get_exactly_50_units(world):
    drop = await open_drop(world.core, tier(stock=UNITS))
    fan_ids = await racers()
    placed, refused = await race(world.app.settings.database_url, drop.tiers[0].id, fan_ids)
    assert (placed, refused) == (UNITS, FANS - UNITS)
    await assert_sold_exactly_stock(drop.id)


async def test_500_fans_in_4_processes_get_exactly_50_units(world):
    drop = await open_drop(world.core, tier(stock=UNITS))
    fan_ids = await racers()
    spawn = multiprocessing.get_context("spawn")
    loop = asyncio.get_running_loop()
    url, tier_id = world.app.settings.database_url, drop.tiers[0].id
    with spawn.Manager() as manager, ProcessPoolExecutor(PROCESSES, mp_context=spawn) as pool:
        start = manager.Barrier(PROCESSES)
        outcomes = await asyncio.gather(
            *(
                loop.run_in_executor(pool, race_in_process, url, tier_id, share, start)
                for share in (fan_ids[n::PROCESSES] for n in range(PROCESSES))
            )
        )
    assert sum(placed for placed, _ in outcomes) == UNITS
    assert sum(refused for _, refused in outcomes) == FANS - UNITS
    await assert_sold_exactly_stock(drop.id)


async def test_the_database_itself_refuses_stock_below_zero_or_above_stock(world):
    drop = await open_drop(world.core, tier(stock=2))
    for impossible in (-1, 3):
        with pytest.raises(IntegrityError):
            await DropTier.filter(id=drop.tiers[0].id).update(available=impossible)
    assert (await drop_view(drop.id)).tiers[0].available == 2
