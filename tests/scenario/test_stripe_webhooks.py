"""Stripe webhooks through the real `stripe` library's verification: a paid Checkout Session
becomes exactly one order; bad, stale and replayed deliveries change nothing."""

from __future__ import annotations

import json
import random
import time

import stripe

from config import load_settings
from core.messages import (
    OrderConfirmed,
    PaymentNotCompleted,
    PaymentReturned,
    PaymentUnderReview,
)
from core.models import Order, ProviderEvent
from core.money import Money
from tests.builders import fans, handled, open_drop, tier, until_handled
from tests.scenario.web_client import Get, Post, Wait, exchange
from tests.secrets import METRICS_TOKENS

SECRET = "whsec_test_dropcast"


def event(kind: str, session: dict, event_id: str = "evt_1") -> bytes:
    body = {"id": event_id, "object": "event", "type": kind, "data": {"object": session}}
    return json.dumps(body).encode()


def session(hold_id: int, *, paid: bool = True, amount: int = 2500) -> dict:
    return {
        "id": f"cs_test_{hold_id}",
        "object": "checkout.session",
        "client_reference_id": str(hold_id),
        "payment_intent": f"pi_{hold_id}",
        "payment_status": "paid" if paid else "unpaid",
        "amount_total": amount,
        "currency": "eur",
    }


def signed(body: bytes, *, secret: str = SECRET, at: int | None = None) -> Post:
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), secret, at)
    return Post("/webhooks/stripe", body, {"Stripe-Signature": header})


async def deliver(world, *posts: Get | Post | str | Wait, **settings) -> list[tuple[int, dict]]:
    config = load_settings(
        database_url=world.app.settings.database_url, stripe_webhook_secret=SECRET, **settings
    )
    return await exchange(
        config, list(posts), clock=world.clock, messenger=world.messenger, refunds=world.refunds
    )


async def held(world) -> tuple[int, int]:
    drop = await open_drop(world.core, tier(stock=3))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    return hold.id, fan


async def test_a_paid_checkout_becomes_one_order_and_the_fan_is_told(world):
    hold_id, fan = await held(world)
    [(status, body)] = await deliver(
        world, signed(event("checkout.session.completed", session(hold_id)))
    )
    assert (status, body) == (200, {"outcome": "accepted"})
    assert await handled() == ["order 1 paid"]
    order = await Order.get(payment_id=f"pi_{hold_id}")
    assert (order.hold_id, order.amount_minor, order.currency) == (hold_id, 2500, "EUR")
    assert world.messenger.to(fan) == [
        OrderConfirmed(order.id, "Winter drop", "Signed print", Money(2500, "EUR"))
    ]


async def test_each_event_delivered_three_times_makes_one_order(world):
    hold_id, fan = await held(world)
    post = signed(event("checkout.session.completed", session(hold_id)))
    replies = await deliver(world, post, post, post)
    assert [status for status, _ in replies] == [200, 200, 200]
    assert [body["outcome"] for _, body in replies] == ["accepted", "duplicate", "duplicate"]
    assert await Order.all().count() == 1
    assert len(world.messenger.to(fan)) == 1


async def test_an_async_payment_settles_when_it_succeeds_not_before(world):
    hold_id, _ = await held(world)
    replies = await deliver(
        world,
        signed(event("checkout.session.completed", session(hold_id, paid=False), "evt_a")),
        signed(event("checkout.session.async_payment_succeeded", session(hold_id), "evt_b")),
    )
    assert [body["outcome"] for _, body in replies] == ["accepted", "accepted"]
    assert await handled() == ["awaiting payment", "order 1 paid"]
    assert await Order.all().count() == 1


async def test_bad_signature_stale_replay_and_garbage_get_400_and_change_nothing(world):
    hold_id, _ = await held(world)
    body = event("checkout.session.completed", session(hold_id))
    replies = await deliver(
        world,
        signed(body, secret="whsec_someone_else"),
        signed(body, at=int(time.time()) - 3600),
        Post("/webhooks/stripe", body, {}),
        signed(b"{not json"),
        signed(b'{"id": "evt_2", "type": "checkout.session.completed"}'),
        signed(b'{"id": "evt_3", "type": "checkout.session.completed", "data": [1]}'),
        signed(b"[]"),
    )
    assert [status for status, _ in replies] == [400] * 7
    assert await Order.all().count() == 0
    assert await ProviderEvent.all().count() == 0


async def test_events_we_do_not_act_on_are_acknowledged(world):
    [(status, body)] = await deliver(world, signed(event("customer.created", {"id": "cus_1"})))
    assert (status, body) == (200, {"outcome": "ignored"})


async def test_a_session_naming_no_hold_of_ours_is_acknowledged_and_logged(world):
    stray = session(0) | {"client_reference_id": "not-ours"}
    [(status, body)] = await deliver(world, signed(event("checkout.session.completed", stray)))
    assert (status, body) == (200, {"outcome": "accepted"})
    assert [outcome[:10] for outcome in await handled()] == ["unmatched:"]
    assert await Order.all().count() == 0


async def test_without_a_webhook_secret_the_endpoint_says_so(world):
    config = load_settings(database_url=world.app.settings.database_url)
    post = signed(event("checkout.session.completed", session(1)))
    assert await exchange(config, [post]) == [
        (503, {"error": "this webhook needs STRIPE_WEBHOOK_SECRET set"})
    ]


def charge(payment_id: str, *, refunded: int = 2500) -> dict:
    return {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": payment_id,
        "amount": 2500,
        "amount_refunded": refunded,
        "refunded": refunded == 2500,
    }


async def test_a_refund_from_the_dashboard_reverses_the_order_once_and_tells_the_fan(world):
    hold_id, fan = await held(world)
    replies = await deliver(
        world,
        signed(event("checkout.session.completed", session(hold_id), "evt_paid")),
        signed(event("charge.refunded", charge(f"pi_{hold_id}"), "evt_refund")),
        signed(event("charge.refunded", charge(f"pi_{hold_id}"), "evt_refund_again")),
    )
    assert [status for status, _ in replies] == [200, 200, 200]
    order = await Order.get(payment_id=f"pi_{hold_id}")
    assert order.status == "refunded"
    told = [m for m in world.messenger.to(fan) if isinstance(m, PaymentReturned)]
    assert told == [PaymentReturned("Winter drop", Money(2500, "EUR"), "refunded by the creator")]


async def test_a_partial_refund_keeps_the_order(world):
    hold_id, _ = await held(world)
    await deliver(
        world,
        signed(event("checkout.session.completed", session(hold_id), "evt_paid")),
        signed(event("charge.refunded", charge(f"pi_{hold_id}", refunded=500), "evt_part")),
    )
    assert (await Order.get(payment_id=f"pi_{hold_id}")).status == "paid"


async def test_a_dispute_marks_the_order_disputed_without_messaging_the_fan(world):
    hold_id, fan = await held(world)
    dispute = {"id": "dp_1", "object": "dispute", "payment_intent": f"pi_{hold_id}"}
    await deliver(
        world,
        signed(event("checkout.session.completed", session(hold_id), "evt_paid")),
        signed(event("charge.dispute.created", dispute, "evt_dispute")),
    )
    assert (await Order.get(payment_id=f"pi_{hold_id}")).status == "disputed"
    assert not [m for m in world.messenger.to(fan) if isinstance(m, PaymentReturned)]


async def test_a_refund_for_a_payment_we_never_saw_changes_nothing(world):
    [(status, _)] = await deliver(world, signed(event("charge.refunded", charge("pi_other"))))
    assert (status, await handled()) == (200, ["no order or membership for this payment"])


async def test_the_shipping_address_collected_by_checkout_is_kept_on_the_order(world):
    hold_id, _ = await held(world)
    details = {
        "name": "Ada Fan",
        "address": {"line1": "1 Main St", "city": "Lyon", "postal_code": "69001", "country": "FR"},
    }
    paid = session(hold_id) | {"collected_information": {"shipping_details": details}}
    await deliver(world, signed(event("checkout.session.completed", paid)))
    order = await Order.get(payment_id=f"pi_{hold_id}")
    assert order.shipping_address == {
        "name": "Ada Fan",
        "line1": "1 Main St",
        "city": "Lyon",
        "postal_code": "69001",
        "country": "FR",
    }


async def test_metrics_show_orders_revenue_and_webhook_results(world):
    hold_id, _ = await held(world)
    post = signed(event("checkout.session.completed", session(hold_id)))
    token = METRICS_TOKENS[0]
    scrape = Get("/metrics", {"Authorization": f"Bearer {token}"})
    *_, (status, page) = await deliver(
        world, post, post, signed(b"junk"), until_handled(1), scrape, metrics_token=token
    )
    assert status == 200
    text = page["text"]
    assert 'dropcast_orders_paid{currency="EUR"} 1.0' in text
    assert 'dropcast_revenue_paid_minor{currency="EUR"} 2500.0' in text
    assert "dropcast_provider_events_waiting 0.0" in text  # handled before the scrape
    webhooks = [
        line for line in text.splitlines() if line.startswith("dropcast_webhook_events_total")
    ]
    for result in ("accepted", "duplicate", "rejected"):
        assert any(f'provider="stripe",result="{result}"}} 1.0' in line for line in webhooks)


async def test_a_failed_bank_payment_tells_the_fan_and_changes_nothing(world):
    hold_id, fan = await held(world)
    failed = session(hold_id, paid=False)
    [(status, _)] = await deliver(
        world, signed(event("checkout.session.async_payment_failed", failed))
    )
    assert (status, await handled()) == (200, ["fan told the payment failed"])
    assert world.messenger.to(fan) == [
        PaymentNotCompleted(hold_id, "Winter drop", "Signed print", still_held=True)
    ]
    assert await Order.all().count() == 0


async def test_a_shuffled_stream_with_every_event_twice_makes_one_order_per_payment(world):
    drop = await open_drop(world.core, tier(stock=6))
    buyers = await fans(6)
    holds = [await world.core.holds.reserve(drop.tiers[0].id, fan) for fan in buyers]
    posts = [
        signed(event("checkout.session.completed", session(h.id), f"evt_{h.id}")) for h in holds
    ] * 2
    random.Random(3).shuffle(posts)
    replies = await deliver(world, *posts)
    assert {status for status, _ in replies} == {200}
    assert await Order.all().count() == 6
    assert sorted(o.hold_id for o in await Order.all()) == sorted(h.id for h in holds)


async def test_an_expiry_that_arrives_after_the_payment_undoes_nothing(world):
    hold_id, _ = await held(world)
    closed = session(hold_id) | {"status": "expired"}
    await deliver(
        world,
        signed(event("checkout.session.completed", session(hold_id), "evt_paid")),
        signed(event("checkout.session.expired", closed, "evt_expired")),
    )
    assert (await Order.get(payment_id=f"pi_{hold_id}")).status == "paid"


async def test_a_checkout_paid_at_another_amount_is_flagged_not_fulfilled(world):
    hold_id, fan = await held(world)
    [(status, _)] = await deliver(
        world, signed(event("checkout.session.completed", session(hold_id, amount=100)))
    )
    assert (status, await handled()) == (200, ["order 1 flagged"])
    order = await Order.get(payment_id=f"pi_{hold_id}")
    assert (order.status, order.hold_id, order.delivered_at) == ("flagged", None, None)
    assert world.messenger.to(fan) == [
        PaymentUnderReview("Winter drop", Money(100, "EUR"), Money(2500, "EUR"))
    ]
    assert world.refunds.refunded == []


def dispute(payment_id: str, status: str) -> dict:
    return {"id": "dp_1", "object": "dispute", "payment_intent": payment_id, "status": status}


async def test_a_dispute_the_creator_won_makes_the_order_paid_again_once(world):
    hold_id, fan = await held(world)
    await deliver(world, signed(event("checkout.session.completed", session(hold_id), "evt_paid")))
    points = await world.core.recognition.points(fan)
    disputed = dispute(f"pi_{hold_id}", "needs_response")
    won = dispute(f"pi_{hold_id}", "won")
    replies = await deliver(
        world,
        signed(event("charge.dispute.created", disputed, "evt_dispute")),
        signed(event("charge.dispute.closed", won, "evt_won")),
        signed(event("charge.dispute.closed", won, "evt_won_again")),
    )
    assert [body["outcome"] for _, body in replies] == ["accepted"] * 3
    assert await handled() == ["order 1 paid", "order 1 disputed", "order 1 paid", "order 1 paid"]
    assert (await Order.get(payment_id=f"pi_{hold_id}")).status == "paid"
    assert await world.core.recognition.points(fan) == points


async def test_a_dispute_the_creator_lost_leaves_the_order_disputed(world):
    hold_id, _ = await held(world)
    await deliver(
        world,
        signed(event("checkout.session.completed", session(hold_id), "evt_paid")),
        signed(event("charge.dispute.created", dispute(f"pi_{hold_id}", "needs_response"), "e")),
        signed(event("charge.dispute.closed", dispute(f"pi_{hold_id}", "lost"), "evt_lost")),
    )
    assert (await handled())[-1] == "dispute lost: order stays disputed"
    assert (await Order.get(payment_id=f"pi_{hold_id}")).status == "disputed"


async def isk_hold(world) -> int:
    drop = await open_drop(world.core, tier(stock=3, price="1050 ISK"))
    [fan] = await fans(1)
    return (await world.core.holds.reserve(drop.tiers[0].id, fan)).id


async def test_an_isk_payment_is_read_in_stripes_minor_units(world):
    hold_id = await isk_hold(world)
    paid = session(hold_id, amount=105000) | {"currency": "isk"}  # 1050 ISK to Stripe
    await deliver(world, signed(event("checkout.session.completed", paid)))
    assert await handled() == ["order 1 paid"]
    order = await Order.get(payment_id=f"pi_{hold_id}")
    assert (order.amount_minor, order.currency) == (1050, "ISK")


async def test_an_isk_payment_of_a_hundredth_of_the_price_is_not_taken_as_paid(world):
    hold_id = await isk_hold(world)
    paid = session(hold_id, amount=1050) | {"currency": "isk"}  # 10.50 ISK to Stripe
    await deliver(world, signed(event("checkout.session.completed", paid)))
    assert await handled() == ["unmatched: Stripe amount 1050 ISK has a fraction our prices lack"]
    assert await Order.all().count() == 0


async def test_an_isk_payment_of_a_tenth_of_the_price_is_flagged(world):
    hold_id = await isk_hold(world)
    paid = session(hold_id, amount=10500) | {"currency": "isk"}  # 105 ISK to Stripe
    await deliver(world, signed(event("checkout.session.completed", paid)))
    assert await handled() == ["order 1 flagged"]
