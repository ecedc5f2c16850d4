"""Invariant 6: timed work is derived from the database, so the clock process and restarts
lose nothing and double nothing."""

from __future__ import annotations

import asyncio
import contextvars
from datetime import timedelta

from adapters.memory import MemoryDesk, MemoryMessenger
from bots.clock_process import serve_clock
from config import load_settings
from core.drops.views import drop_view
from core.kinds import HoldStatus
from core.messages import HoldLapsed, LateStart
from core.models import Reservation
from tests.builders import fans, open_drop, restarted_clock, tier
from tests.eventually import eventually


async def test_the_clock_process_opens_a_scheduled_drop_when_its_time_comes(world, db):
    drop = await world.core.drops.create("Timed", [tier()])
    await world.core.drops.schedule(drop.id, world.clock.now() + timedelta(minutes=5))
    world.clock.advance(minutes=5)

    async def opened() -> bool:  # another process's change shows only in the database
        return (await drop_view(drop.id)).status == "open"

    stop = asyncio.Event()
    clock_process = asyncio.create_task(  # its own tortoise context, like its own process
        serve_clock(load_settings(database_url=db), stop=stop, clock=world.clock, every=0.01),
        context=contextvars.Context(),
    )
    try:
        await eventually(opened, seconds=10)
    finally:
        stop.set()
        await clock_process


async def test_a_hold_placed_before_a_restart_still_lapses_on_time_once(world, db):
    drop = await open_drop(world.core, tier(stock=1))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    world.clock.advance(minutes=11)

    inbox = MemoryMessenger()

    settings = load_settings(database_url=db)
    for _ in range(2):  # two restarts, each a fresh application, context and connection
        await restarted_clock(settings, world.clock, messenger=inbox)
    assert (await Reservation.get(id=hold.id)).status == HoldStatus.EXPIRED
    assert (await drop_view(drop.id)).tiers[0].available == 1
    assert inbox.to(fan) == [HoldLapsed(hold.id, "Winter drop", "Signed print")]  # told once


async def test_reminders_go_out_once_whichever_clock_process_sends_them(world, db):
    starts = world.clock.now() + timedelta(minutes=30)
    session = await world.core.live.schedule("Friday listening", starts)
    [fan] = await fans(1)
    await world.core.live_reminders.rsvp(session.id, fan)
    world.clock.advance(minutes=21)
    inbox = MemoryMessenger()

    settings = load_settings(database_url=db)
    await restarted_clock(settings, world.clock, messenger=inbox)
    # restarted, and two more clocks started by mistake, all at once
    clocks = (restarted_clock(settings, world.clock, messenger=inbox) for _ in range(3))
    await asyncio.gather(*clocks)
    assert [m.stage for m in inbox.to(fan)] == ["soon"]


async def test_the_creator_hears_once_when_a_sessions_start_passes_and_it_is_not_live(world, db):
    starts = world.clock.now() + timedelta(minutes=30)
    late = await world.core.live.schedule("Friday listening", starts)
    on_time = await world.core.live.schedule("Saturday listening", starts)
    settings, desk = load_settings(database_url=db), MemoryDesk()
    world.clock.advance(minutes=29)
    await restarted_clock(settings, world.clock, desk=desk)
    assert desk.notes == []  # not due yet
    world.clock.advance(minutes=1)
    await world.core.live.start(on_time.id)
    clocks = (restarted_clock(settings, world.clock, desk=desk) for _ in range(3))
    await asyncio.gather(*clocks)
    world.clock.advance(minutes=5)
    await restarted_clock(settings, world.clock, desk=desk)
    assert desk.notes == [LateStart(late.id, "Friday listening", starts)]
