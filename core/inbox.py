"""Provider events are kept on arrival and handled after the provider has had its answer.

Stripe asks for a 2xx before any lengthy work, and a delivery that waits for a whole order
to be settled caps how fast a burst is taken in (bench/webhooks.py). So a delivery waits
only for its event to be stored, together with whatever arrived at the same moment, in one
statement; a redelivery of a kept event is acknowledged and changes nothing.

Handling runs in the background, oldest first. A failure is tried again later, never lost,
and a restart between keeping and handling leaves the event due for the next start
(invariant 6). Several web processes may drain one inbox: each event is claimed by a
conditional update before it is handled, and a claim is taken over within seconds when its
process stops saying it is alive, or after `LEASE` if it never did (core/claims.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from core import claims, sql
from core.notices import Notices
from core.ports import Clock
from core.workers import worker_id

log = structlog.get_logger(__name__)

Handler = Callable[[str, str, datetime], Awaitable[str]]
"""Handles one provider's event from its kind, payload and when it arrived (a provider's
state read after that moment already reflects the event); returns what happened."""

DUPLICATE = "duplicate"
LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(seconds=30)
# events claimed, and handled, at once: a burst's payments are settled together, a few
# statements for all of them (core/drops/settling.py), so the more at once the fewer
# transactions (bench/webhooks.py: 100 settled 2,000 payments in 2.2-2.7 s, 400 in 1.7-2.0)
BATCH = 400
STILL_ON_TIME_ATTEMPTS = 3  # an event failing more often than this no longer holds holds

_KEEP = (
    'INSERT INTO "provider_event" ("provider", "event_id", "kind", "received_at", "payload", '
    '"key", "due_at", "attempts") VALUES {rows} '
    'ON CONFLICT ("provider", "event_id") DO NOTHING RETURNING "provider", "event_id"'
)


# Due: its time came, or the process that claimed it stopped saying it is alive. In turn:
# no earlier event with its key (the same payment, the same chat) is still to be handled.
# The outer due test matters on PostgreSQL: a row another process claimed meanwhile is
# re-read after its lock and no longer matches.
_DUE = claims.abandoned('p."due_at"')

_IN_TURN = (
    '(p."key" IS NULL OR NOT EXISTS (SELECT 1 FROM "provider_event" e '
    'WHERE e."key" = p."key" AND e."id" < p."id" AND e."due_at" IS NOT NULL))'
)
_CLAIM = (
    'UPDATE "provider_event" AS p SET "due_at" = {lease_until}, '
    '"attempts" = p."attempts" + 1, "claimed_by" = {worker} '
    f'WHERE p."due_at" IS NOT NULL AND {_DUE} AND p."id" IN '
    f'(SELECT p."id" FROM "provider_event" p WHERE p."due_at" IS NOT NULL '
    f'AND {_DUE} AND {_IN_TURN} ORDER BY p."id" LIMIT {{batch}}) '
    'RETURNING "id", "provider", "kind", "payload", "received_at", "attempts"'
)
_OLDEST_WAITING = (
    'SELECT MIN("received_at") AS oldest FROM "provider_event" '
    'WHERE "due_at" IS NOT NULL AND "attempts" < {attempts}'
)
# the events of a drain handled in a statement per outcome (a burst's are nearly all one)
_DONE = (
    'UPDATE "provider_event" SET "due_at" = NULL, "payload" = NULL, "processed_at" = {now}, '
    '"outcome" = {outcome} WHERE "id" IN ({ids})'
)
_BACKLOG = (
    'SELECT COUNT(*) AS waiting, COUNT("outcome") AS failing FROM "provider_event" '
    'WHERE "due_at" IS NOT NULL'
)
_RETRY = (
    'UPDATE "provider_event" SET "due_at" = {due}, "outcome" = {outcome}, '
    '"claimed_by" = NULL WHERE "id" = {id}'
)


@dataclass(frozen=True, slots=True)
class KeptEvent:
    id: int
    provider: str
    kind: str
    payload: str
    received_at: datetime
    attempts: int
    """Counting the one under way."""


@dataclass(frozen=True, slots=True)
class Backlog:
    waiting: int  # kept, not yet handled
    failing: int  # of them, those whose handling failed at least once


@dataclass(frozen=True, slots=True)
class _Arrival:
    provider: str
    event_id: str
    kind: str
    payload: str
    key: str | None
    stored: asyncio.Future[bool]


class Inbox:
    def __init__(
        self, clock: Clock, worker: str | None = None, notices: Notices | None = None
    ) -> None:
        self.clock = clock
        self.notices = notices
        self.worker = worker or worker_id("inbox")
        self._arrived = asyncio.Event()
        self._stopping = False
        self._arrivals: list[_Arrival] = []
        self._storing: asyncio.Task[None] | None = None

    async def keep(
        self, provider: str, event_id: str, kind: str, payload: str, key: str | None = None
    ) -> bool:
        """Store an event to be handled; False if this provider sent this id before. Events
        with the same `key` are handled one at a time, in the order they arrived."""
        stored: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        arrival = _Arrival(provider, event_id, kind[:100], payload, key and key[:128], stored)
        self._arrivals.append(arrival)
        if self._storing is None:
            self._storing = asyncio.create_task(self._store_arrivals())
        return await stored

    async def _store_arrivals(self) -> None:
        """Whatever arrived while the last statement ran goes into the next one."""
        try:
            while self._arrivals:
                batch, self._arrivals = self._arrivals[:BATCH], self._arrivals[BATCH:]
                try:
                    new = await _insert(batch, self.clock.now())
                except Exception as error:  # each delivery waiting on it fails, and is retried
                    for arrival in batch:
                        _settle(arrival.stored, error=error)
                    continue
                for arrival in batch:
                    key = (arrival.provider, arrival.event_id)
                    _settle(arrival.stored, result=key in new)
                    new.discard(key)  # sent twice in one batch: the second is a redelivery
                self._arrived.set()
        finally:
            self._storing = None

    async def backlog(self) -> Backlog:
        """What is still to be handled, for `/metrics`: a payment stuck here is money taken
        without an order yet."""
        [row] = await sql.rows(_BACKLOG)
        return Backlog(int(row["waiting"]), int(row["failing"]))

    async def drain(self, handlers: Mapping[str, Handler]) -> int:
        """Handle every event that is due, oldest first; returns how many were handled. What
        follows the events (receipts, points, post edits) waits until the backlog is
        drained, so its payments become orders first (bench/webhooks.py: PostgreSQL settled
        2,000 in 2.1-2.6 s with them in between, 1.95-1.99 s after)."""
        handled = 0
        with self.notices.held_back() if self.notices else contextlib.nullcontext():
            while claimed := await self._claim():
                # no two claimed share a key, so they run at once: events of different
                # payments (or chats) settle side by side, one payment's in arrival order
                outcomes = await asyncio.gather(*(self._handle(e, handlers) for e in claimed))
                done = {e.id: o for e, o in zip(claimed, outcomes, strict=True) if o is not None}
                await _done(done, self.clock.now())
                handled += len(done)
        return handled

    async def _claim(self) -> list[KeptEvent]:
        now = self.clock.now()
        rows = await sql.rows(
            _CLAIM, lease_until=now + LEASE, worker=self.worker, lease_ends=now,
            silent_since=now - claims.SILENT, batch=BATCH,
        )  # fmt: skip
        events = (
            KeptEvent(**(row | {"received_at": sql.moment(row["received_at"])})) for row in rows
        )
        return sorted(events, key=lambda event: event.id)

    async def serve(self, handlers: Mapping[str, Handler], *, every: float = 2.0) -> None:
        """Handle events as they arrive and retries as they come due, until `stop`; what is
        due when `stop` is called is handled before this returns."""
        self._stopping = False
        while True:
            self._arrived.clear()
            # read before draining: an event stored while a drain was already past its claim,
            # and `stop` called after it, still get a drain of their own
            stopping = self._stopping
            try:
                await self.drain(handlers)
            except Exception as error:  # the database is away: the events wait, and so do we
                log.error("inbox_unavailable", error=type(error).__name__)
            if stopping:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), every)

    def stop(self) -> None:
        self._stopping = True
        self._arrived.set()

    async def _handle(self, event: KeptEvent, handlers: Mapping[str, Handler]) -> str | None:
        """The event's outcome; None if it failed, and is kept for another try."""
        handler = handlers.get(event.provider)
        try:
            if handler is None:
                raise LookupError(f"this process handles no {event.provider} events")
            outcome = await handler(event.kind, event.payload, event.received_at)
        except Exception as error:  # kept for another try: a fault here must not lose it
            wait = claims.backoff(event.attempts, FIRST_RETRY)
            failed = f"failed {event.attempts}x, last: {type(error).__name__}"
            await sql.rows(_RETRY, due=self.clock.now() + wait, outcome=failed, id=event.id)
            log.error("provider_event_failed", id=event.id, kind=event.kind, error=repr(error))
            return None
        log.info("provider_event_handled", id=event.id, kind=event.kind, outcome=outcome)
        return outcome[:255]


async def _insert(batch: list[_Arrival], now: datetime) -> set[tuple[str, str]]:
    """Stores a batch in one statement; returns the keys that were new."""
    rows = [(a.provider, a.event_id, a.kind, now, a.payload, a.key, now, 0) for a in batch]
    inserted = await sql.rows(_KEEP, rows=rows)
    return {(row["provider"], row["event_id"]) for row in inserted}


async def _done(outcomes: dict[int, str], now: datetime) -> None:
    """Mark these events handled, each with its outcome."""
    by_outcome: dict[str, list[int]] = {}
    for event_id, outcome in outcomes.items():
        by_outcome.setdefault(outcome, []).append(event_id)
    for outcome, ids in by_outcome.items():
        await sql.rows(_DONE, now=now, outcome=outcome, ids=ids)


def _settle(
    stored: asyncio.Future[bool], *, result: bool = False, error: Exception | None = None
) -> None:
    """Answer a waiting delivery, unless it gave up waiting (its client went away)."""
    if stored.done():
        return
    if error is not None:
        stored.set_exception(error)
    else:
        stored.set_result(result)


async def oldest_waiting() -> datetime | None:
    """When the oldest event still to be handled arrived (those failing again and again
    aside): a payment in it was made before then, however late it is settled."""
    [row] = await sql.rows(_OLDEST_WAITING, attempts=STILL_ON_TIME_ATTEMPTS)
    return sql.moment(row["oldest"])
