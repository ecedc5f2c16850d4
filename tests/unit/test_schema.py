"""The database's own last word on the invariants, on both engines: the constraints the
conditional updates rely on exist after migrating (SQLite once lost some, see 0013)."""

from __future__ import annotations

import pytest
from tortoise.exceptions import IntegrityError

from core.kinds import Platform
from core.models import Community, Order, Post, Reservation
from tests.builders import fans, open_drop, tier


async def test_a_fan_cannot_hold_the_same_slot_of_a_tier_twice(world):
    drop = await open_drop(world.core, tier(stock=5))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    first = await Reservation.get(id=hold.id)
    with pytest.raises(IntegrityError):
        await Reservation.create(
            tier_id=first.tier_id, fan_id=fan, slot=first.slot, status="held",
            expires_at=first.expires_at, created_at=first.created_at,
        )  # fmt: skip


async def test_one_hold_makes_at_most_one_order(world):
    drop = await open_drop(world.core, tier(stock=5))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    order = dict(tier_id=drop.tiers[0].id, fan_id=fan, hold_id=hold.id, amount_minor=2500,
                 currency="EUR", provider="stripe", created_at=world.clock.now())  # fmt: skip
    await Order.create(payment_id="pi_a", **order)
    with pytest.raises(IntegrityError):
        await Order.create(payment_id="pi_b", **order)


async def test_a_drop_has_one_post_per_community(world):
    drop = await open_drop(world.core, tier())
    community = await Community.create(platform=Platform.TELEGRAM, platform_ref="-1", name="c")
    await Post.create(community_id=community.id, drop_id=drop.id, message_ref="1")
    with pytest.raises(IntegrityError):
        await Post.create(community_id=community.id, drop_id=drop.id, message_ref="2")
