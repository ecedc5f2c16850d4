"""In-process publish/subscribe for domain events.

A failing subscriber is logged and skipped: rendering a message on one platform must never
undo or block a committed sale.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from core.events import DomainEvent

Handler = Callable[[Any], Awaitable[None]]

log = structlog.get_logger(__name__)


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)

    def subscribe(
        self, event_type: type[DomainEvent], handler: Callable[[Any], Awaitable[None]]
    ) -> None:
        self._handlers[event_type].append(handler)

    async def publish(self, *events: DomainEvent) -> None:
        for event in events:
            for handler in self._handlers.get(type(event), ()):
                try:
                    await handler(event)
                except Exception:
                    log.exception("event_handler_failed", domain_event=type(event).__name__)
