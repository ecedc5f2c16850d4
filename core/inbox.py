"""Processing each provider event once, whatever is redelivered, and when.

An event is recorded once its handling succeeded, so one whose handling failed is handled
again on the provider's redelivery. Two deliveries in flight at once may both be handled:
handling is itself idempotent (settling a payment id twice makes one order), and only the
first is recorded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from core import sql
from core.ports import Clock

DUPLICATE = "duplicate"

_SEEN = 'SELECT 1 AS seen FROM "provider_event" WHERE "provider" = {0} AND "event_id" = {1}'
_RECORD = (
    'INSERT INTO "provider_event" ("provider", "event_id", "kind", "received_at", '
    '"processed_at", "outcome") VALUES ({0}, {1}, {2}, {3}, {4}, {5}) '
    'ON CONFLICT ("provider", "event_id") DO NOTHING'
)


async def handle_once(
    clock: Clock, provider: str, event_id: str, kind: str, handle: Callable[[], Awaitable[str]]
) -> str:
    """Run `handle` unless this event was processed before; returns what happened."""
    if await sql.rows(_SEEN, provider, event_id):
        return DUPLICATE
    received_at = clock.now()
    outcome = await handle()
    values = (provider, event_id, kind[:100], received_at, clock.now(), outcome[:255])
    await sql.rows(_RECORD, *values)
    return outcome
