"""Pay links through the real `stripe` library against a Checkout Sessions peer on loopback:
what we ask Stripe for, once per hold, expired when the hold lapses, and a whole buy."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import stripe
from aiohttp.test_utils import TestServer

from bots.bootstrap import bootstrap
from config import load_settings
from core.app import Core
from core.messages import OrderConfirmed
from core.models import Link, Order
from tests.builders import fans, open_drop, tier
from tests.peers.stripe_checkout import StripeCheckoutPeer
from tests.scenario.web_client import Post, exchange

WEBHOOK_SECRET = "whsec_checkout_test"


@pytest.fixture
async def peer(clock) -> AsyncIterator[tuple[StripeCheckoutPeer, str]]:
    checkout = StripeCheckoutPeer(clock)
    server = TestServer(checkout.app, host="127.0.0.1")
    await server.start_server()
    yield checkout, str(server.make_url("")).rstrip("/")
    await server.close()


def stripe_settings(world, api_base: str):
    return load_settings(
        database_url=world.app.settings.database_url,
        stripe_secret_key="sk_test_dropcast",
        stripe_api_base=api_base,
        stripe_webhook_secret=WEBHOOK_SECRET,
        public_base_url="https://drops.example.com",
        shipping_countries="US,DE",
    )


@pytest.fixture
async def core(world, peer) -> AsyncIterator[Core]:
    app = bootstrap(stripe_settings(world, peer[1]), clock=world.clock, messenger=world.messenger)
    yield app.core
    await app.close()


async def a_hold(core: Core, *, kind: str = "digital") -> tuple[int, int]:
    drop = await open_drop(core, tier(stock=2, kind=kind))
    [fan] = await fans(1)
    return (await core.holds.reserve(drop.tiers[0].id, fan)).id, fan


async def test_a_hold_gets_a_checkout_session_for_exactly_its_price(core, peer, world):
    checkout, _ = peer
    hold_id, fan = await a_hold(core)
    link = await core.holds.pay_link(hold_id, fan)
    [session] = checkout.sessions.values()
    assert link.url.startswith("https://drops.example.com/l/")
    assert link.provider_ref == session["id"]
    assert (session["amount_total"], session["currency"]) == (2500, "eur")
    assert session["client_reference_id"] == str(hold_id)
    assert session["metadata"] == {"hold_id": str(hold_id), "fan_id": str(fan)}
    assert session["success_url"].startswith("https://drops.example.com/")
    assert session["shipping_address_collection"] is None
    lifetime = session["expires_at"] - world.clock.now().timestamp()
    assert timedelta(minutes=30).total_seconds() <= lifetime <= timedelta(hours=1).total_seconds()
    [(_, _, _, headers)] = checkout.requests
    assert headers == {"Idempotency-Key": f"dropcast-hold-{hold_id}-checkout"}


async def test_asking_twice_for_a_pay_link_makes_one_session(core, peer):
    checkout, _ = peer
    hold_id, fan = await a_hold(core)
    first = await core.holds.pay_link(hold_id, fan)
    second = await core.holds.pay_link(hold_id, fan)
    assert first == second
    assert len(checkout.sessions) == 1


async def test_a_physical_tier_collects_a_shipping_address(core, peer):
    checkout, _ = peer
    hold_id, fan = await a_hold(core, kind="physical")
    await core.holds.pay_link(hold_id, fan)
    [session] = checkout.sessions.values()
    assert session["shipping_address_collection"] == {"allowed_countries": ["US", "DE"]}


async def test_a_lapsed_hold_expires_its_checkout_session(core, peer, world):
    checkout, _ = peer
    hold_id, fan = await a_hold(core)
    await core.holds.pay_link(hold_id, fan)
    world.clock.advance(minutes=11)
    await core.tick()
    [session] = checkout.sessions.values()
    assert session["status"] == "expired"


async def test_a_fan_taps_the_pay_link_pays_and_gets_one_order(core, peer, world):
    checkout, api_base = peer
    hold_id, fan = await a_hold(core)
    link = await core.holds.pay_link(hold_id, fan)
    [session_id] = checkout.sessions
    tap = link.url.removeprefix("https://drops.example.com")
    body = json.dumps(checkout.complete(session_id))
    header = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
    post = Post("/webhooks/stripe", body.encode(), {"Stripe-Signature": header})
    (tapped, redirect), (status, reply) = await exchange(
        stripe_settings(world, api_base),
        [tap, post],
        clock=world.clock,
        messenger=world.messenger,
    )
    assert (tapped, redirect["location"]) == (302, checkout.sessions[session_id]["url"])
    assert (await Link.get(ref=str(hold_id))).clicks == 1
    assert status == 200
    assert reply["outcome"].endswith("paid")
    order = await Order.get(hold_id=hold_id)
    assert order.payment_id == checkout.sessions[session_id]["payment_intent"]
    assert any(isinstance(m, OrderConfirmed) for m in world.messenger.to(fan))
