"""Processing each provider event once, whatever is redelivered, and when.

A row is recorded on first sight; it is marked processed only after its handling succeeded,
so an event whose handling failed is handled again on the provider's redelivery (handling is
itself idempotent, e.g. settling a payment id twice makes one order).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tortoise.exceptions import IntegrityError

from core.models.inbox import ProviderEvent
from core.ports import Clock

DUPLICATE = "duplicate"


async def handle_once(
    clock: Clock, provider: str, event_id: str, kind: str, handle: Callable[[], Awaitable[str]]
) -> str:
    """Run `handle` unless this event was processed before; returns what happened."""
    try:
        event, _ = await ProviderEvent.get_or_create(
            provider=provider,
            event_id=event_id,
            defaults={"kind": kind[:100], "received_at": clock.now()},
        )
    except IntegrityError:  # recorded concurrently by another delivery
        event = await ProviderEvent.get(provider=provider, event_id=event_id)
    if event.processed_at is not None:
        return DUPLICATE
    outcome = await handle()
    await ProviderEvent.filter(id=event.id, processed_at__isnull=True).update(
        processed_at=clock.now(), outcome=outcome[:255]
    )
    return outcome
