"""Domain events after their change, made durable.

`transaction()` is how the core changes state: what the events a change adds owe (points,
perks, messages, posts: core/subscriptions.py) is written as notices (core/notices.py) in
the same transaction, and delivered after the commit. In-process listeners (the sandbox's
log) see each event after the commit too; one that fails is logged and skipped: it must
never undo or block a committed sale.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from tortoise.transactions import in_transaction

from core.events import DomainEvent
from core.notices import Notices, Owed

Handler = Callable[[Any], Awaitable[None]]

log = structlog.get_logger(__name__)


class Changes:
    """The events one transaction's change adds."""

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    def add(self, *events: DomainEvent) -> None:
        self.events.extend(events)


class EventBus:
    def __init__(self, notices: Notices) -> None:
        self.notices = notices
        self._handlers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)

    def subscribe(
        self, event_type: type[DomainEvent], handler: Callable[[Any], Awaitable[None]]
    ) -> None:
        """An in-process listener: it only watches (it is not retried, and a process that
        dies after a commit never calls it)."""
        self._handlers[event_type].append(handler)

    @asynccontextmanager
    async def transaction(self, *, answer_first: bool = False) -> AsyncIterator[Changes]:
        """A transaction whose added events' notices commit with it. With `answer_first`
        they are delivered in the background, so the caller answers before them (a batch
        of payments: no payer waits for every other payer's receipt)."""
        changes = Changes()
        async with in_transaction():
            yield changes
            owed = await self.notices.record(changes.events)
        await self._committed(changes.events, owed, answer_first=answer_first)

    async def publish(self, *events: DomainEvent) -> None:
        """Events of a change made in one statement, or of none (a payment that failed):
        their notices are written on their own."""
        await self._committed(list(events), await self.notices.record(events))

    async def _committed(
        self, events: list[DomainEvent], owed: Owed, *, answer_first: bool = False
    ) -> None:
        for event in events:
            for handler in self._handlers.get(type(event), ()):
                try:
                    await handler(event)
                except Exception:
                    log.exception("event_handler_failed", domain_event=type(event).__name__)
        await self.notices.deliver(owed, all_follow=answer_first)
