"""Provider events are handled once; one whose handling failed is handled on redelivery."""

from __future__ import annotations

import pytest

from core.inbox import DUPLICATE, handle_once
from core.models import ProviderEvent


async def test_an_event_is_handled_once_and_a_failed_one_again_on_redelivery(world):
    calls: list[str] = []

    async def failing() -> str:
        calls.append("failed")
        raise ConnectionError("provider down")

    async def working() -> str:
        calls.append("handled")
        return "done"

    with pytest.raises(ConnectionError):
        await handle_once(world.clock, "stripe", "evt_1", "x", failing)
    assert await handle_once(world.clock, "stripe", "evt_1", "x", working) == "done"
    assert await handle_once(world.clock, "stripe", "evt_1", "x", working) == DUPLICATE
    assert calls == ["failed", "handled"]
    event = await ProviderEvent.get(event_id="evt_1")
    assert (event.outcome, event.processed_at) == ("done", world.clock.now())


async def test_the_same_id_from_another_provider_is_another_event(world):
    async def handle() -> str:
        return "done"

    assert await handle_once(world.clock, "stripe", "1", "x", handle) == "done"
    assert await handle_once(world.clock, "telegram", "1", "x", handle) == "done"
