"""Pickup passes through Stripe's real webhooks (tests/scenario/test_stripe_webhooks.py's
replay helpers): a shuffled stream with every event twice, expiries among them, still makes
exactly one pass per pickup order and none for a shipped one."""

from __future__ import annotations

import random

from core.messages import OrderConfirmed
from core.models import Order
from tests.builders import fans
from tests.popup_builders import passes, stall
from tests.scenario.test_stripe_webhooks import deliver, event, session, signed


async def test_a_shuffled_stream_with_every_event_twice_makes_one_pass_per_pickup(world):
    where = await stall(world.core, stock=6)
    *pickers, shipper = await fans(5)
    holds = [
        await world.core.holds.reserve(where.tier_id, fan, pop_up_id=where.pop_up.id)
        for fan in pickers
    ] + [await world.core.holds.reserve(where.tier_id, shipper)]
    posts = [
        signed(event("checkout.session.completed", session(h.id), f"evt_{h.id}")) for h in holds
    ]
    posts += [
        signed(
            event("checkout.session.expired", session(h.id) | {"status": "expired"}, f"x_{h.id}")
        )
        for h in holds
    ]
    posts *= 2
    random.Random(7).shuffle(posts)
    replies = await deliver(world, *posts)
    assert {status for status, _ in replies} == {200}
    orders = {o.fan_id: o.id for o in await Order.all()}
    assert len(orders) == 5
    assert sorted(await passes()) == sorted((orders[fan], where.pop_up.id) for fan in pickers)
    for fan in pickers:
        [receipt] = [m for m in world.messenger.to(fan) if isinstance(m, OrderConfirmed)]
        assert receipt.pickup is not None
    [shipped] = [m for m in world.messenger.to(shipper) if isinstance(m, OrderConfirmed)]
    assert shipped.pickup is None
