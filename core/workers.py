"""Which processes are alive: each long-running process says so every few seconds, so what
a silent one had claimed (notices, provider events) is taken over by the others within
seconds instead of waiting out a long lease."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from datetime import UTC, datetime

import structlog

from core.claims import ALIVE_EVERY
from core.models import Worker
from core.ports import Clock

log = structlog.get_logger(__name__)
GONE = datetime(2000, 1, 1, tzinfo=UTC)  # a process that stopped: its claims are free now


def worker_id(role: str) -> str:
    """Unique per process, and readable in the database: role, host, pid."""
    return f"{role}@{socket.gethostname()[:24]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


async def stay_alive(clock: Clock, worker: str, role: str, stop: asyncio.Event) -> None:
    """Say this process is alive until `stop`; then say it is gone."""
    try:
        while not stop.is_set():
            try:
                await Worker.update_or_create(
                    id=worker, defaults={"role": role, "seen_at": clock.now()}
                )
            except Exception as error:  # the database is away: say so again when it is back
                log.warning("worker_not_recorded", worker=worker, error=type(error).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), ALIVE_EVERY.total_seconds())
    finally:
        with contextlib.suppress(Exception):  # the database may be what stopped us
            await Worker.filter(id=worker).update(seen_at=GONE)
