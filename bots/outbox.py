"""The outbox workers the clock process runs: one per platform, sending campaign DMs at that
platform's pace until stopped."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from aiolimiter import AsyncLimiter

from config import Settings
from core.app import Core
from core.models import Platform

log = structlog.get_logger(__name__)
SAFETY = 0.97  # a little under the limit, so timers that fire late never bunch past it
IDLE_SECONDS = 1.0


def paces(settings: Settings) -> dict[str, float]:
    """Messages a second per platform this process sends on."""
    rates = {Platform.SANDBOX.value: 100.0}
    if "telegram" in settings.platforms:
        rates[Platform.TELEGRAM] = settings.telegram_messages_per_second
    if "discord" in settings.platforms:
        rates[Platform.DISCORD] = settings.discord_dms_per_second
    return rates


async def send_outbox(
    core: Core, platform: str, per_second: float, stop: asyncio.Event, idle: float = IDLE_SECONDS
) -> None:
    """Deliveries evenly spaced at `per_second` (no bursts: the bucket holds one), in
    batches of about half a second's worth. What a stopped process left half-sent is
    marked failed first, never sent again."""
    interrupted = await core.outbox.recover(platform, core.clock.now())
    if interrupted:
        log.warning("outbox_interrupted_deliveries", platform=platform, count=interrupted)
    pace = AsyncLimiter(1, 1 / (per_second * SAFETY))
    batch = max(1, int(per_second / 2))
    while not stop.is_set():
        try:
            taken = await core.outbox.drain(platform, batch, pace=pace.acquire)
        except Exception:
            log.exception("outbox_drain_failed", platform=platform)
            taken = 0
        if not taken:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), idle)
