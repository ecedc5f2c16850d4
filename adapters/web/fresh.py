"""What a page answered a moment ago, kept for a second or two and made once however many ask
at the same time (single-flight): a rush of fans on one drop page renders it, and asks the
database for it, once per second rather than once per fan (bench/edge.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from core.ports import Clock

T = TypeVar("T")
MOST_KEPT = 1000  # past this many keys, what is out of date is let go


class Fresh(Generic[T]):
    def __init__(self, clock: Clock, keep_for: timedelta) -> None:
        self.clock = clock
        self.keep_for = keep_for
        self._kept: dict[str, tuple[datetime, T]] = {}
        self._making: dict[str, asyncio.Future[T]] = {}

    async def get(self, key: str, make: Callable[[], Awaitable[T]]) -> T:
        """`make()`'s answer for `key`, as made within `keep_for`, else made now (once for
        everyone asking meanwhile)."""
        kept = self._kept.get(key)
        if kept is not None and kept[0] > self.clock.now():
            return kept[1]
        making = self._making.get(key)
        if making is None:
            making = asyncio.ensure_future(self._make(key, make))
            self._making[key] = making
        return await asyncio.shield(making)

    async def _make(self, key: str, make: Callable[[], Awaitable[T]]) -> T:
        try:
            value = await make()
            now = self.clock.now()
            if len(self._kept) >= MOST_KEPT:
                self._kept = {k: v for k, v in self._kept.items() if v[0] > now}
            self._kept[key] = (now + self.keep_for, value)
            return value
        finally:
            del self._making[key]
