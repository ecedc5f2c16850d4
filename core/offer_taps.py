"""Taps on signed pay links (core/offers.py): answered from the code alone, counted later.

A tap is a redirect the fan waits for, so it reads and writes nothing: the code is checked
with the cached key, the tap joins a batch in memory, and the fan is sent on to the drop's
page. One task writes the batch every second, or at once when 1,000 taps wait, with one
multi-row INSERT per 1,000 taps. A write that fails (the database away for a moment) keeps
its taps for the next try, and stopping writes what is left (bots/web_process.py), so no
tap is lost or counted twice. bench/edge.py measures the path against a bare redirect.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime

import structlog

from core import sql
from core.offers import Offer, Offers
from core.ports import Clock

log = structlog.get_logger(__name__)

WRITE_TAPS = (
    'INSERT INTO "offer_tap" ("drop_code", "tier_id", "fan_id", "source", "at") VALUES {taps}'
)
# a write that fails while stopping is tried this many times, `every` seconds apart
LAST_TRIES = 5
# codes read lately, kept read: one link in a post is tapped by many (bench/edge.py)
KEPT_READ = 4096

Tap = tuple[str, int | None, int | None, str, datetime]


class TapBatch:
    """Taps waiting to be written, in the order they came."""

    def __init__(self, clock: Clock, *, every: float = 1.0, most: int = 1000) -> None:
        self.clock = clock
        self.every = every
        self.most = most
        self._waiting: list[Tap] = []
        self._full = asyncio.Event()
        self._writing = asyncio.Lock()
        self._stopping = False

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def add(self, offer: Offer, at: datetime) -> None:
        self._waiting.append((offer.drop_code, offer.tier_id, offer.fan_id, offer.source, at))
        if len(self._waiting) >= self.most:
            self._full.set()

    async def write(self) -> int:
        """Write every waiting tap, `most` to a statement; how many were written. If one
        fails, the taps not yet written wait again, ahead of newer ones, and it raises."""
        async with self._writing:
            taps, self._waiting = self._waiting, []
            written = 0
            try:
                for start in range(0, len(taps), self.most):
                    await sql.rows(WRITE_TAPS, taps=taps[start : start + self.most])
                    written = min(start + self.most, len(taps))
            except BaseException:
                self._waiting[:0] = taps[written:]
                raise
            return written

    async def serve(self) -> None:
        """Write the batch as it fills or ages, until `stop`; then write what is left."""
        while not self._stopping:
            self._full.clear()
            await self._try_write()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), self.every)
        for _ in range(LAST_TRIES):
            if await self._try_write():
                return
            await asyncio.sleep(self.every)
        log.error("offer_taps_lost", taps=self.waiting)

    def stop(self) -> None:
        self._stopping = True
        self._full.set()

    async def _try_write(self) -> bool:
        try:
            await self.write()
        except Exception as error:  # the database is away: the taps wait for the next try
            log.error("offer_taps_waiting", taps=self.waiting, error=type(error).__name__)
            return False
        return True


class OfferTaps:
    """Where a `/l/{code}` tap leads. A signed offer's code has a `.`, which the short
    links' codes never have (core/short_links.py): those go to `short_link`."""

    def __init__(
        self, offers: Offers, batch: TapBatch, short_link: Callable[[str], Awaitable[str | None]]
    ) -> None:
        self.offers = offers
        self.batch = batch
        self.short_link = short_link
        self._read: dict[str, Offer] = {}  # only codes we signed: a forged one is never kept

    async def follow(self, code: str) -> str | None:
        """Count a tap and say where it leads; None for a code we did not sign, or that has
        expired (and then nothing is counted)."""
        if "." not in code:
            return await self.short_link(code)
        offer = self._read.get(code)
        if offer is None:
            offer = await self.offers.read(code)
            if offer is None:
                return None
            if len(self._read) >= KEPT_READ:
                self._read.clear()
            self._read[code] = offer
        now = self.offers.clock.now()
        if offer.expires_at <= now:
            return None
        self.batch.add(offer, now)
        return drop_page(offer, code)


def drop_page(offer: Offer, code: str) -> str:
    """The drop's public page, told the offer (the page reads it again from `o`), opened at
    its tier."""
    anchor = "" if offer.tier_id is None else f"#tier-{offer.tier_id}"
    return f"/d/{offer.drop_code}?o={code}{anchor}"
