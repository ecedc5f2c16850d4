"""Pay links through the real `stripe` library against a Checkout Sessions stripe_peer on loopback
as strict as Stripe: what we ask Stripe for, in Stripe's own minor units, once per hold,
expired when the hold lapses, and a whole buy."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
import stripe
from aiohttp import ClientSession

from adapters.stripe.checkout import StripeApi, StripeCheckout
from adapters.stripe.refunds import StripeRefunds
from bots.bootstrap import bootstrap
from config import load_settings
from core.app import Core
from core.drops.order_rows import PaymentReceived
from core.errors import InvalidInput, ProviderUnreachable
from core.messages import HoldForPayment, OrderConfirmed, PaymentReturned
from core.models import Link, Order
from core.money import Money
from tests.builders import fans, handled, open_drop, tier
from tests.peers.stripe_checkout import StripeCheckoutPeer
from tests.scenario.web_client import Post, exchange, free_port

WEBHOOK_SECRET = "whsec_checkout_test"


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
async def core(world, stripe_peer) -> AsyncIterator[Core]:
    app = bootstrap(
        stripe_settings(world, stripe_peer[1]), clock=world.clock, messenger=world.messenger
    )
    yield app.core
    await app.close()


async def a_hold(core: Core, *, kind: str = "digital", price: str = "25.00 EUR") -> tuple[int, int]:
    drop = await open_drop(core, tier(stock=2, kind=kind, price=price))
    [fan] = await fans(1)
    return (await core.holds.reserve(drop.tiers[0].id, fan)).id, fan


async def test_a_hold_gets_a_checkout_session_for_exactly_its_price(core, stripe_peer, world):
    checkout, _ = stripe_peer
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
    assert headers["Idempotency-Key"].startswith(f"dropcast-hold-{hold_id}-")


async def test_asking_twice_for_a_pay_link_makes_one_session(core, stripe_peer):
    checkout, _ = stripe_peer
    hold_id, fan = await a_hold(core)
    first = await core.holds.pay_link(hold_id, fan)
    second = await core.holds.pay_link(hold_id, fan)
    assert first == second
    assert len(checkout.sessions) == 1


async def test_asking_again_minutes_later_is_the_same_request_and_gets_the_same_session(
    core, stripe_peer, world
):
    checkout, _ = stripe_peer
    hold_id, fan = await a_hold(core)
    first = await core.holds.pay_link(hold_id, fan)
    world.clock.advance(minutes=3)  # the fan taps "pay" again: same key, same parameters
    second = await core.holds.pay_link(hold_id, fan)
    assert first.provider_ref == second.provider_ref
    assert len(checkout.sessions) == 1
    [(*_, headers)] = checkout.requests
    assert checkout.replayed == [headers["Idempotency-Key"]]


async def test_a_fresh_database_whose_hold_ids_start_again_gets_keys_of_its_own(
    stripe_peer, clock, db
):
    """Hold #1 of one database, then hold #1 of a new one, on one Stripe account."""
    checkout, api_base = stripe_peer
    api = StripeApi("sk_test_dropcast", api_base)
    links = StripeCheckout(api, clock, "https://drops.example.com", ["US"])
    hold = HoldForPayment(1, 1, "Winter drop", "Print", "digital", Money(2500, "EUR"), clock.now())
    try:
        first = await links.create(hold)
        clock.advance(days=30)
        second = await links.create(replace(hold, expires_at=clock.now()))
    finally:
        await api.close()
    assert first.provider_ref != second.provider_ref
    assert len(checkout.sessions) == 2


async def test_a_rush_of_pay_links_takes_turns_under_stripes_rate_and_none_is_refused(
    core, stripe_peer
):
    checkout, _ = stripe_peer
    drop = await open_drop(core, tier(stock=40))
    buyers = await fans(40)
    holds = [await core.holds.reserve(drop.tiers[0].id, fan) for fan in buyers]
    links = await asyncio.gather(
        *(core.holds.pay_link(hold.id, fan) for hold, fan in zip(holds, buyers, strict=True))
    )
    assert len({link.provider_ref for link in links}) == 40 == len(checkout.sessions)
    assert checkout.rate_limited == 0


async def paid_and_refunded(
    checkout: StripeCheckoutPeer, api_base: str, clock, price: Money, *, asked: int = 1
) -> tuple[str, list[int]]:
    """A Checkout session paid for `price`, its refund asked `asked` times a day apart
    (Stripe forgets an idempotency key after 24 hours); the payment and its refunds' amounts
    at Stripe."""
    api = StripeApi("sk_test_dropcast", api_base)
    links = StripeCheckout(api, clock, "https://drops.example.com", ["US"])
    hold = HoldForPayment(1, 1, "Winter drop", "Print", "digital", price, clock.now())
    try:
        paid = await checkout.complete((await links.create(hold)).provider_ref)
        payment_id = paid["data"]["object"]["payment_intent"]
        for _ in range(asked):
            await StripeRefunds(api).refund(payment_id, price, "sold out")
            clock.advance(hours=25)
    finally:
        await api.close()
    auth = {"Authorization": "Bearer sk_test_dropcast"}
    async with ClientSession() as http, http.get(f"{api_base}/v1/refunds", headers=auth) as listing:
        refunds = (await listing.json())["data"]
    return payment_id, [r["amount"] for r in refunds if r["payment_intent"] == payment_id]


async def test_a_refund_is_asked_in_stripes_minor_units(stripe_peer, clock, db):
    checkout, api_base = stripe_peer
    _, refunded = await paid_and_refunded(checkout, api_base, clock, Money(1050, "ISK"))
    assert refunded == [105000]


async def test_a_refund_asked_again_after_stripe_forgot_its_key_is_done_not_an_error(
    stripe_peer, clock, db
):
    checkout, api_base = stripe_peer
    price = Money(2500, "EUR")
    _, refunded = await paid_and_refunded(checkout, api_base, clock, price, asked=2)
    asked = [r for r in checkout.requests if r[1] == "/v1/refunds"]
    assert len(asked) == 2  # asked twice, refused the second time, and that is done:
    assert refunded == [2500]


async def test_a_refund_while_stripe_is_unreachable_waits_for_the_clock(clock, db):
    # a port nothing listens on: the SDK's retries run out on a refused connection
    api = StripeApi("sk_test_dropcast", f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(ProviderUnreachable, match="it waits"):
            await StripeRefunds(api).refund("pi_123", Money(1050, "EUR"), "sold out")
    finally:
        await api.close()


@pytest.mark.parametrize(
    ("price", "charged"),
    [
        ("1050 ISK", (105000, "isk")),  # ISK is two-decimal at Stripe, whole krónur only
        ("1999 HUF", (199900, "huf")),  # HUF: two decimals for charges
        ("150000 IDR", (15000000, "idr")),  # CLDR says none; Stripe says two
        ("120000 COP", (12000000, "cop")),
        ("500 JPY", (500, "jpy")),
        ("2.350 KWD", (2350, "kwd")),
    ],
)
async def test_a_price_is_sent_in_stripes_own_minor_units(core, stripe_peer, price, charged):
    checkout, _ = stripe_peer
    hold_id, fan = await a_hold(core, price=price)
    await core.holds.pay_link(hold_id, fan)
    [session] = checkout.sessions.values()
    assert (session["amount_total"], session["currency"]) == charged


@pytest.mark.parametrize(
    ("price", "why"),
    [
        ("0.30 EUR", "0.30 EUR is below Stripe's least charge of 0.50 EUR"),
        ("40 JPY", "40 JPY is below Stripe's least charge of 50 JPY"),
        ("150 HUF", "150 HUF is below Stripe's least charge of 175 HUF"),
        ("1.005 KWD", "Stripe charges KWD only in steps of 0.010: 1.005 KWD cannot be paid"),
    ],
)
async def test_a_price_stripe_cannot_charge_is_refused_with_the_reason(
    core, stripe_peer, price, why
):
    checkout, _ = stripe_peer
    hold_id, fan = await a_hold(core, price=price)
    with pytest.raises(InvalidInput) as refused:
        await core.holds.pay_link(hold_id, fan)
    assert str(refused.value) == why
    assert checkout.requests == []  # nothing asked of Stripe


async def test_a_physical_tier_collects_a_shipping_address(core, stripe_peer):
    checkout, _ = stripe_peer
    hold_id, fan = await a_hold(core, kind="physical")
    await core.holds.pay_link(hold_id, fan)
    [session] = checkout.sessions.values()
    assert session["shipping_address_collection"] == {"allowed_countries": ["US", "DE"]}


async def test_a_lapsed_hold_expires_its_checkout_session(core, stripe_peer, world):
    checkout, _ = stripe_peer
    hold_id, fan = await a_hold(core)
    await core.holds.pay_link(hold_id, fan)
    world.clock.advance(minutes=11)
    await core.tick()
    [session] = checkout.sessions.values()
    assert session["status"] == "expired"


async def test_a_fan_taps_the_pay_link_pays_and_gets_one_order(core, stripe_peer, world):
    checkout, api_base = stripe_peer
    hold_id, fan = await a_hold(core)
    link = await core.holds.pay_link(hold_id, fan)
    [session_id] = checkout.sessions
    tap = link.url.removeprefix("https://drops.example.com")
    body = json.dumps(await checkout.complete(session_id))
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
    assert (status, reply, await handled()) == (200, {"outcome": "accepted"}, ["order 1 paid"])
    order = await Order.get(hold_id=hold_id)
    assert order.payment_id == checkout.sessions[session_id]["payment_intent"]
    [receipt] = [m for m in world.messenger.to(fan) if isinstance(m, OrderConfirmed)]
    assert receipt.delivery == "https://files.example/Signed print.zip"  # the goods, by DM


async def test_a_payment_that_arrives_after_the_unit_went_to_another_fan_is_refunded(
    core, stripe_peer, world
):
    checkout, api_base = stripe_peer
    drop = await open_drop(core, tier(stock=1))
    late, quick = await fans(2)
    hold = await core.holds.reserve(drop.tiers[0].id, late)
    await core.holds.pay_link(hold.id, late)
    [session_id] = checkout.sessions
    paid_event = await checkout.complete(session_id)  # paid on Stripe's page, webhook delayed
    world.clock.advance(minutes=11)
    await core.tick()  # our hold lapses; the session can no longer be expired
    taken = await core.holds.reserve(drop.tiers[0].id, quick)
    await core.payments.settle(PaymentReceived("pi_quick", "stripe", taken.id, taken.price))
    body = json.dumps(paid_event)
    header = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
    post = Post("/webhooks/stripe", body.encode(), {"Stripe-Signature": header})
    [(status, reply)] = await exchange(
        stripe_settings(world, api_base), [post], clock=world.clock, messenger=world.messenger
    )
    assert (status, reply) == (200, {"outcome": "accepted"})
    assert [outcome.split()[-1] for outcome in await handled()] == ["refunded"]
    payment_id = checkout.sessions[session_id]["payment_intent"]
    async with (
        ClientSession() as http,
        http.get(
            f"{api_base}/v1/refunds", headers={"Authorization": "Bearer sk_test_dropcast"}
        ) as listing,
    ):
        refunds = (await listing.json())["data"]
    assert [r["amount"] for r in refunds if r["payment_intent"] == payment_id] == [2500]
    assert world.messenger.to(late)[-1] == PaymentReturned(
        "Winter drop", Money(2500, "EUR"), "the item sold out first"
    )


async def test_a_fan_pays_an_isk_price_and_the_order_is_paid_at_that_price(
    core, stripe_peer, world
):
    checkout, api_base = stripe_peer
    hold_id, fan = await a_hold(core, price="1050 ISK")
    await core.holds.pay_link(hold_id, fan)
    [session_id] = checkout.sessions
    body = json.dumps(await checkout.complete(session_id))
    header = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
    post = Post("/webhooks/stripe", body.encode(), {"Stripe-Signature": header})
    await exchange(
        stripe_settings(world, api_base), [post], clock=world.clock, messenger=world.messenger
    )
    assert await handled() == ["order 1 paid"]
    order = await Order.get(hold_id=hold_id)
    assert (order.amount_minor, order.currency) == (1050, "ISK")


async def test_racing_retries_of_a_waiting_refund_return_the_money_once_at_stripe(
    core, stripe_peer, world
):
    """The clock's retries and the webhook redelivered, at once, each ask Stripe for the
    refund that had to wait: keyed by the payment, Stripe makes it once."""
    checkout, api_base = stripe_peer
    drop = await open_drop(core, tier(stock=1))
    late, quick = await fans(2)
    hold = await core.holds.reserve(drop.tiers[0].id, late)
    await core.holds.pay_link(hold.id, late)
    [session_id] = checkout.sessions
    await checkout.complete(session_id)  # paid on Stripe's page, the webhook delayed
    payment_id = checkout.sessions[session_id]["payment_intent"]
    world.clock.advance(minutes=11)
    await core.tick()  # the hold lapses, and the last unit goes to another fan
    taken = await core.holds.reserve(drop.tiers[0].id, quick)
    await core.payments.settle(PaymentReceived("pi_quick", "stripe", taken.id, taken.price))
    paid = PaymentReceived(payment_id, "stripe", hold.id, Money(2500, "EUR"))
    world.refunds.failing = True  # the process that took the webhook could not reach Stripe
    with pytest.raises(ConnectionError):
        await world.core.payments.settle(paid)
    await asyncio.gather(
        core.payments.retry_refunds(), core.payments.retry_refunds(), core.payments.settle(paid)
    )
    assert (await Order.get(payment_id=payment_id)).status == "refunded"
    assert await refunds_at_stripe(api_base, payment_id) == [2500]
    returned = [m for m in world.messenger.to(late) if isinstance(m, PaymentReturned)]
    assert returned == [
        PaymentReturned("Winter drop", Money(2500, "EUR"), "the item sold out first")
    ]


async def refunds_at_stripe(api_base: str, payment_id: str) -> list[int]:
    """The amounts Stripe (localstripe, behind the stripe_peer) refunded of the payment."""
    auth = {"Authorization": "Bearer sk_test_dropcast"}
    async with ClientSession() as http, http.get(f"{api_base}/v1/refunds", headers=auth) as listing:
        refunds = (await listing.json())["data"]
    return [r["amount"] for r in refunds if r["payment_intent"] == payment_id]
