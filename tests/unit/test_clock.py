"""Invariant 6: timed work is derived from the database, so the clock process and restarts
lose nothing and double nothing."""

from __future__ import annotations

import asyncio
import contextvars
from datetime import timedelta

from adapters.memory import ManualClock, MemoryMessenger
from bots.bootstrap import bootstrap
from bots.database import database
from bots.processes import serve_clock
from config import load_settings
from core.drops.views import drop_view
from core.messages import HoldLapsed
from core.models import HoldStatus, Reservation
from tests.builders import fans, open_drop, tier


async def test_the_clock_process_opens_a_scheduled_drop_when_its_time_comes(world, db):
    drop = await world.core.drops.create("Timed", [tier()])
    await world.core.drops.schedule(drop.id, world.clock.now() + timedelta(minutes=5))
    world.clock.advance(minutes=5)
    stop = asyncio.Event()
    clock_process = asyncio.create_task(  # its own tortoise context, like its own process
        serve_clock(load_settings(database_url=db), stop=stop, clock=world.clock, every=0.01),
        context=contextvars.Context(),
    )
    try:
        async with asyncio.timeout(10):
            # another process's change is visible only in the database: poll it
            while (await drop_view(drop.id)).status != "open":  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    finally:
        stop.set()
        await clock_process


async def test_a_hold_placed_before_a_restart_still_lapses_on_time_once(world, db):
    drop = await open_drop(world.core, tier(stock=1))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    world.clock.advance(minutes=11)

    inbox = MemoryMessenger()

    for _ in range(2):  # two restarts, each a fresh application, context and connection
        await restarted_clock(db, world.clock, inbox)
    assert (await Reservation.get(id=hold.id)).status == HoldStatus.EXPIRED
    assert (await drop_view(drop.id)).tiers[0].available == 1
    assert inbox.to(fan) == [HoldLapsed(hold.id, "Winter drop", "Signed print")]  # told once


async def test_reminders_go_out_once_whichever_clock_process_sends_them(world, db):
    starts = world.clock.now() + timedelta(minutes=30)
    session = await world.core.live.schedule("Friday listening", starts)
    [fan] = await fans(1)
    await world.core.live.rsvp(session.id, fan)
    world.clock.advance(minutes=21)
    inbox = MemoryMessenger()

    await restarted_clock(db, world.clock, inbox)
    # restarted, and two more clocks started by mistake, all at once
    await asyncio.gather(*(restarted_clock(db, world.clock, inbox) for _ in range(3)))
    assert [m.stage for m in inbox.to(fan)] == ["soon"]


async def restarted_clock(db: str, clock: ManualClock, inbox: MemoryMessenger) -> None:
    """One tick of a freshly started clock process: its own application, context, connection."""

    async def process() -> None:
        async with database(db):
            app = bootstrap(load_settings(database_url=db), clock=clock, messenger=inbox)
            await app.core.tick()

    await asyncio.create_task(process(), context=contextvars.Context())
