"""The delivery workers: notices (what changes owe fans and communities) in every process
that serves, and campaign DMs in the clock, one worker per platform at its pace."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import structlog
from aiolimiter import AsyncLimiter

from adapters.pacing import leaky_bucket
from config import Settings
from core.app import Core
from core.kinds import Platform
from core.workers import stay_alive

log = structlog.get_logger(__name__)
IDLE_SECONDS = 1.0
# a few drains of small batches: each claim makes only a few DMs ready at once, so the event
# loop never holds up, in one go, messages the rate limiter has already let out; and a
# claim's statements are shared by enough DMs that the database is not the cost
# (bench/broadcast.py at 300/s: 8 drains of 4 reached 0.90-0.945 of the limit on SQLite,
# at 3.0-3.5 ms of CPU a DM; 4 drains of 9, 0.956-0.959 at 2.5-2.7 ms)
DRAINS = 4
BATCH_SHARE = 1 / 32  # of a second's allowance, per claim


@dataclass(frozen=True, slots=True)
class Pace:
    per_second: float
    by_client: bool = False  # the platform's client paces every call itself


def paces(settings: Settings) -> dict[str, Pace]:
    """The pace of each platform this process sends on. PTB's rate limiter paces every
    Telegram call (answers and receipts too) at TELEGRAM_MESSAGES_PER_SECOND."""
    found = {Platform.SANDBOX.value: Pace(100.0)}
    if "telegram" in settings.platforms:
        found[Platform.TELEGRAM] = Pace(settings.telegram_messages_per_second, by_client=True)
    if "discord" in settings.platforms:
        found[Platform.DISCORD] = Pace(settings.discord_dms_per_second)
    return found


async def send_outbox(
    core: Core,
    platform: str,
    pace: Pace,
    stop: asyncio.Event,
    idle: float = IDLE_SECONDS,
) -> None:
    """Deliveries at the platform's pace (see `leaky_bucket`)."""
    bucket = None if pace.by_client else AsyncLimiter(*leaky_bucket(pace.per_second))
    batch = max(1, int(pace.per_second * BATCH_SHARE))

    async def drain_until_stopped() -> None:
        while not stop.is_set():
            try:
                taken = await core.outbox.drain(
                    platform, batch, pace=bucket.acquire if bucket else None
                )
            except Exception:
                log.exception("outbox_drain_failed", platform=platform)
                taken = 0
            if not taken:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), idle)

    # the drains share the pace: some claim and make their batch ready while the others'
    # sends go out, so the platform's rate is used without gaps
    await asyncio.gather(*(drain_until_stopped() for _ in range(DRAINS)))


async def deliver_notices(
    core: Core, role: str, stop: asyncio.Event, *, drain: bool = True, idle: float = IDLE_SECONDS
) -> None:
    """Say this process is alive (so its claims are not taken over) and, with `drain`,
    deliver the notices that are due: retries, and those a stopped process left."""
    alive = asyncio.create_task(stay_alive(core.clock, core.notices.worker, role, stop))
    while drain and not stop.is_set():
        try:
            taken = await core.notices.drain()
        except Exception:  # the database is away: the notices wait, and so do we
            log.exception("notices_drain_failed")
            taken = 0
        if not taken:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), idle)
    await alive
