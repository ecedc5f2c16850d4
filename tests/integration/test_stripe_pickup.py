"""A pickup's pay link against the Stripe Checkout peer: no shipping address is asked, the
page says where and when to pick up, and the request's idempotency key is its own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bots.bootstrap import bootstrap
from core.app import Core
from core.popups.places import window
from tests.builders import fans
from tests.integration.test_stripe_checkout import stripe_settings
from tests.popup_builders import PLACE, stall


@pytest.fixture
async def core(world, stripe_peer) -> AsyncIterator[Core]:
    app = bootstrap(
        stripe_settings(world, stripe_peer[1]), clock=world.clock, messenger=world.messenger
    )
    yield app.core
    await app.close()


async def test_a_pickup_pay_link_asks_no_address_and_a_shipped_one_does(core, stripe_peer):
    checkout, _ = stripe_peer
    where = await stall(core)
    picker, shipper = await fans(2)
    pickup = await core.holds.reserve(where.tier_id, picker, pop_up_id=where.pop_up.id)
    shipped = await core.holds.reserve(where.tier_id, shipper)
    await core.holds.pay_link(pickup.id, picker)
    await core.holds.pay_link(shipped.id, shipper)
    sessions = {s["client_reference_id"]: s for s in checkout.sessions.values()}
    assert sessions[str(pickup.id)]["shipping_address_collection"] is None
    assert sessions[str(shipped.id)]["shipping_address_collection"] == {
        "allowed_countries": ["US", "DE"]
    }
    [(_, _, asked, _)] = [
        r for r in checkout.requests if r[2].get("client_reference_id") == str(pickup.id)
    ]
    product = asked["line_items"][0]["price_data"]["product_data"]
    span = window(where.pop_up.starts_at, where.pop_up.ends_at, where.pop_up.zone)
    assert product["description"] == f"Pickup at {PLACE}, {span}"
