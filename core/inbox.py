"""Processing each provider event once, whatever is redelivered, and when.

A row is recorded on first sight; it is marked processed only after its handling succeeded,
so an event whose handling failed is handled again on the provider's redelivery (handling is
itself idempotent, e.g. settling a payment id twice makes one order).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from core import sql
from core.ports import Clock

DUPLICATE = "duplicate"

_RECORD = (
    'INSERT INTO "provider_event" ("provider", "event_id", "kind", "received_at") '
    'VALUES ({0}, {1}, {2}, {3}) ON CONFLICT ("provider", "event_id") DO NOTHING RETURNING "id"'
)
_SEEN = (
    'SELECT "id", "processed_at" FROM "provider_event" WHERE "provider" = {0} AND "event_id" = {1}'
)
_DONE = (
    'UPDATE "provider_event" SET "processed_at" = {0}, "outcome" = {1} '
    'WHERE "id" = {2} AND "processed_at" IS NULL'
)


async def handle_once(
    clock: Clock, provider: str, event_id: str, kind: str, handle: Callable[[], Awaitable[str]]
) -> str:
    """Run `handle` unless this event was processed before; returns what happened."""
    recorded = await sql.rows(_RECORD, provider, event_id, kind[:100], clock.now())
    if recorded:
        row_id = recorded[0]["id"]
    else:
        [seen] = await sql.rows(_SEEN, provider, event_id)
        if seen["processed_at"] is not None:
            return DUPLICATE
        row_id = seen["id"]
    outcome = await handle()
    await sql.rows(_DONE, clock.now(), outcome[:255], row_id)
    return outcome
