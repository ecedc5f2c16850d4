"""`dropcast clock`: the one process that runs timed work (see bots/processes.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram.ext import ExtBot

from adapters.telegram.stars import StarsLedger
from bots.bootstrap import bootstrap
from bots.database import database, describe
from bots.outbox import deliver_notices, paces, send_outbox
from config import Settings
from core.app import Core
from core.ports import Clock

log = structlog.get_logger(__name__)
TICK_SECONDS = 1.0
COUNTDOWN_SECONDS = 60.0
PERK_SWEEP_SECONDS = 300.0
ACCESS_REPORT_SECONDS = 3600.0  # the report goes out once a day, the first hour it has news
PRUNE_SECONDS = 3600.0
STARS_RECONCILE_SECONDS = 600.0


async def serve_clock(
    config: Settings,
    *,
    stop: asyncio.Event | None = None,
    clock: Clock | None = None,
    every: float = TICK_SECONDS,
) -> None:
    """Tick the core until stopped; every tick is derived from the database, so a restart
    or a second clock loses or doubles nothing."""
    stop = stop or asyncio.Event()
    async with database(config.database_url):
        app = bootstrap(config, clock=clock, role="clock")
        scheduler = AsyncIOScheduler(timezone="UTC")
        for job, seconds in clock_jobs(app.core, every, app.telegram):
            scheduler.add_job(
                _logged, "interval", seconds=seconds, args=[job], max_instances=1, coalesce=True
            )
        scheduler.start()
        senders = [
            asyncio.create_task(send_outbox(app.core, platform, pace, stop, idle=every))
            for platform, pace in paces(config).items()
        ]
        senders.append(asyncio.create_task(deliver_notices(app.core, "clock", stop, idle=every)))
        log.info("clock_started", database=describe(config.database_url))
        try:
            await stop.wait()
        finally:
            scheduler.shutdown(wait=False)
            await asyncio.gather(*senders)
            await app.close()


def clock_jobs(
    core: Core, every: float = TICK_SECONDS, telegram: ExtBot[Any] | None = None
) -> tuple[tuple[Callable[[], Awaitable[object]], float], ...]:
    """What the clock runs, and how often: the tick; countdown posts moving on (an adapter
    edits a post only when its text changed); what automatic campaigns owe; perk changes a
    platform refused earlier, or a stopped process left, retried; the day's access report to
    the admins if it has news; delivered notices pruned;
    with Telegram, Stars payments whose update never reached the bot made orders, and
    Stars subscription charges recorded (core/memberships/stars.py)."""
    jobs = ((core.tick, every), (core.drops.refresh_countdowns, COUNTDOWN_SECONDS),
            (core.live_reminders.refresh_countdowns, COUNTDOWN_SECONDS),
            (core.campaigns.queue_automatic, COUNTDOWN_SECONDS),
            (core.perks.sweep, PERK_SWEEP_SECONDS),
            (core.access.daily, ACCESS_REPORT_SECONDS),
            (core.notices.prune, PRUNE_SECONDS))  # fmt: skip
    if telegram is None:
        return jobs
    stars = StarsLedger(telegram, core.payments, core.clock)
    return (
        *jobs,
        (stars.reconcile, STARS_RECONCILE_SECONDS),
        (core.stars_memberships.reconcile, STARS_RECONCILE_SECONDS),
    )


async def _logged(job: Callable[[], Awaitable[object]]) -> None:
    """A failed run is logged, and the next run tries again."""
    try:
        await job()
    except Exception:
        log.exception("clock_job_failed", job=job.__qualname__)
