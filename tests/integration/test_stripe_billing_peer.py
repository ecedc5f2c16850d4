"""The Stripe peer's Billing (tests/peers/stripe_billing.py) does and refuses what Stripe does
and refuses, in Stripe's words: memberships sold through Checkout in `subscription` mode, their
products and prices, subscriptions renewed, retried, paused and canceled as time moves on a
test clock, and the customer portal, each driven through the real `stripe` library."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import stripe

from adapters.memory import ManualClock
from tests.peers.stripe_billing import (
    CANCELED_UPDATE,
    INTERVAL_TOO_LONG,
    INVALID_BOOLEAN,
    LIST_TOO_FEW,
    LIST_TOO_MANY,
    NO_PAYMENT_INTENT_DATA,
    NO_PRODUCT,
    NO_RECURRING,
    NOT_PAUSED,
    ONE_TIME_PRICE,
    PORTAL_UNSAVED,
    RECURRING_IN_PAYMENT,
    RETRIES,
    TRIAL_END_TOO_SOON,
    TRIAL_TOO_LONG,
    TRIAL_TOO_SHORT,
    shifted,
)
from tests.peers.stripe_checkout import NO_SUBSCRIPTION_DATA, StripeCheckoutPeer
from tests.stripe_client import stripe_client

SECRET = "whsec_peer_test"


@dataclass
class Rig:
    stripe: StripeCheckoutPeer
    clock: ManualClock
    api: stripe.StripeClient

    @property
    def events(self) -> list[dict[str, Any]]:
        return self.stripe.events

    def kinds(self, since: int = 0) -> list[str]:
        return [event["type"] for event in self.events[since:]]

    async def plan(self, amount: int = 500, interval: str = "month", name: str = "Club") -> Any:
        product = await self.api.v1.products.create_async({"name": name})
        return await self.api.v1.prices.create_async(
            {"product": product.id, "currency": "eur", "unit_amount": amount,
             "recurring": {"interval": interval}}  # type: ignore[typeddict-item]
        )  # fmt: skip

    async def session(self, price: str | None = None, **extra: Any) -> Any:
        items = [{"price": price or (await self.plan()).id, "quantity": 1}]
        params = {"mode": "subscription", "line_items": items, "client_reference_id": "fan-7",
                  "metadata": {"member": "7"}, "success_url": "https://drops.example.com/in",
                  **extra}  # fmt: skip
        return await self.api.v1.checkout.sessions.create_async(params)  # type: ignore[arg-type]

    async def subscribe(self, card: str | None = "pm_card_visa", **extra: Any) -> Any:
        """A fan subscribes; returns the subscription as the API answers it."""
        made = await self.session(**extra)
        completed = await self.stripe.complete(made.id, card)
        sub_id = completed["data"]["object"]["subscription"]
        return await self.api.v1.subscriptions.retrieve_async(sub_id)

    async def refused(self, call: Any) -> stripe.InvalidRequestError:
        with pytest.raises(stripe.InvalidRequestError) as error:
            await call
        return error.value

    async def advance(self, **delta: float) -> list[str]:
        moved = await self.stripe.billing.advance(self.clock.now() + timedelta(**delta))
        return [event["type"] for event in moved]


@pytest.fixture
async def peer(
    clock: ManualClock, stripe_peer: tuple[StripeCheckoutPeer, str]
) -> AsyncIterator[Rig]:
    checkout, url = stripe_peer
    async with stripe_client(url) as api:
        yield Rig(checkout, clock, api)


def period(sub: Any) -> tuple[int, int]:
    item = sub["items"]["data"][0]
    return item["current_period_start"], item["current_period_end"]


def stamp(moment: datetime) -> int:
    return int(moment.timestamp())


# docs.stripe.com/api/products, docs.stripe.com/api/prices


async def test_products_and_prices_are_made_and_retrieved_in_stripes_shape(peer):
    price = await peer.plan(900, "year", "Yearly club")
    assert (price.object, price.type, price.unit_amount, price.currency) == (
        "price", "recurring", 900, "eur",
    )  # fmt: skip
    assert (price.recurring.interval, price.recurring.interval_count) == ("year", 1)
    again = await peer.api.v1.prices.retrieve_async(price.id)
    assert again.id == price.id
    product = await peer.api.v1.products.retrieve_async(price.product)  # type: ignore[arg-type]
    assert (product.object, product.name, product.active) == ("product", "Yearly club", True)


@pytest.mark.parametrize(
    ("params", "message", "param"),
    [
        ({"unit_amount": 500, "product_data": {"name": "Club"}},
         "Missing required param: currency.", "currency"),
        ({"currency": "eur", "product_data": {"name": "Club"}},
         "Missing required param: unit_amount.", "unit_amount"),
        ({"currency": "eur", "unit_amount": 500}, NO_PRODUCT, "product"),
        ({"currency": "eur", "unit_amount": 500, "product": "prod_nothing"},
         "No such product: 'prod_nothing'", "product"),
        ({"currency": "eur", "unit_amount": 500, "product_data": {"name": "Club"},
          "recurring": {"interval": "fortnight"}},
         "Invalid recurring[interval]: must be one of day, month, week, or year",
         "recurring[interval]"),
        ({"currency": "eur", "unit_amount": 500, "product_data": {"name": "Club"},
          "recurring": {"interval": "month", "interval_count": 37}},
         INTERVAL_TOO_LONG, "recurring[interval_count]"),
        ({"currency": "kwd", "unit_amount": 1005, "product_data": {"name": "Club"}},
         "Invalid unit_amount: kwd amounts must end in 0 (three-decimal currency)",
         "unit_amount"),
    ],
)  # fmt: skip
async def test_a_price_is_refused_as_stripe_refuses_it(peer, params, message, param):
    error = await peer.refused(peer.api.v1.prices.create_async(params))
    assert (error.http_status, error.user_message, error.param) == (400, message, param)


async def test_a_product_needs_a_name(peer):
    error = await peer.refused(peer.api.v1.products.create_async({}))  # type: ignore[typeddict-item]
    assert (error.code, error.user_message) == (
        "parameter_missing",
        "Missing required param: name.",
    )


@pytest.mark.parametrize(
    ("kind", "ident"),
    [("price", "price_nothing"), ("product", "prod_nothing"), ("customer", "cus_nothing"),
     ("subscription", "sub_nothing"), ("invoice", "in_nothing")],
)  # fmt: skip
async def test_an_unknown_id_is_a_404_resource_missing(peer, kind, ident):
    service = getattr(peer.api.v1, f"{kind}s")
    error = await peer.refused(service.retrieve_async(ident))
    assert (error.http_status, error.code) == (404, "resource_missing")
    assert error.user_message == f"No such {kind}: '{ident}'"


async def test_updating_or_canceling_an_unknown_subscription_is_resource_missing(peer):
    subscriptions = peer.api.v1.subscriptions
    for call in (
        subscriptions.update_async("sub_nothing", {"cancel_at_period_end": True}),
        subscriptions.cancel_async("sub_nothing"),
    ):
        error = await peer.refused(call)
        assert (error.http_status, error.user_message) == (
            404,
            "No such subscription: 'sub_nothing'",
        )


# docs.stripe.com/api/checkout/sessions/create in `subscription` mode


async def test_subscription_mode_needs_a_recurring_price(peer):
    price = {"currency": "eur", "unit_amount": 500, "product_data": {"name": "Print"}}
    error = await peer.refused(
        peer.api.v1.checkout.sessions.create_async(
            {"mode": "subscription", "line_items": [{"price_data": price, "quantity": 1}]}  # type: ignore[typeddict-item]
        )
    )
    assert (error.http_status, error.user_message) == (400, NO_RECURRING)


async def test_subscription_mode_takes_price_data_with_recurring(peer):
    price = {"currency": "eur", "unit_amount": 700, "product_data": {"name": "Club"},
             "recurring": {"interval": "month"}}  # fmt: skip
    made = await peer.api.v1.checkout.sessions.create_async(
        {"mode": "subscription", "line_items": [{"price_data": price, "quantity": 1}]}  # type: ignore[typeddict-item]
    )
    assert (made.mode, made.amount_total, made.status, made.subscription) == (
        "subscription", 700, "open", None,
    )  # fmt: skip


async def test_payment_mode_refuses_a_recurring_price(peer):
    price = await peer.plan()
    error = await peer.refused(
        peer.api.v1.checkout.sessions.create_async(
            {"mode": "payment", "line_items": [{"price": price.id, "quantity": 1}]}
        )
    )
    assert (error.user_message, error.param) == (RECURRING_IN_PAYMENT, "line_items[0]")


async def test_payment_intent_data_is_refused_in_subscription_mode(peer):
    error = await peer.refused(peer.session(payment_intent_data={"metadata": {"a": "1"}}))
    assert (error.user_message, error.param) == (NO_PAYMENT_INTENT_DATA, "payment_intent_data")


async def test_subscription_data_is_refused_in_payment_mode(peer):
    price = {"currency": "eur", "unit_amount": 500, "product_data": {"name": "Print"}}
    error = await peer.refused(
        peer.api.v1.checkout.sessions.create_async(
            {"mode": "payment", "line_items": [{"price_data": price, "quantity": 1}],
             "subscription_data": {"trial_period_days": 7}}  # type: ignore[typeddict-item]
        )
    )  # fmt: skip
    assert (error.user_message, error.param) == (NO_SUBSCRIPTION_DATA, "subscription_data")


@pytest.mark.parametrize(("days", "message"), [(0, TRIAL_TOO_SHORT), (731, TRIAL_TOO_LONG)])
async def test_trial_days_are_1_to_730(peer, days, message):
    error = await peer.refused(peer.session(subscription_data={"trial_period_days": days}))
    assert (error.user_message, error.param) == (message, "subscription_data[trial_period_days]")
    made = await peer.session(subscription_data={"trial_period_days": 730})
    assert made.amount_total == 0  # nothing is due before the trial ends


async def test_a_trial_end_is_at_least_48_hours_away(peer):
    soon = stamp(peer.clock.now() + timedelta(hours=47))
    error = await peer.refused(peer.session(subscription_data={"trial_end": soon}))
    assert error.user_message == TRIAL_END_TOO_SOON


async def test_an_unknown_price_in_a_line_item_is_a_400_naming_it(peer):
    error = await peer.refused(peer.session(price="price_nothing"))
    assert (error.http_status, error.code, error.param) == (
        400, "resource_missing", "line_items[0][price]",
    )  # fmt: skip
    assert error.user_message == "No such price: 'price_nothing'"


# subscriptions: docs.stripe.com/api/subscriptions, docs.stripe.com/billing/subscriptions


async def test_a_completed_session_makes_a_customer_an_active_subscription_and_a_paid_invoice(
    peer,
):
    made = await peer.session()
    event = await peer.stripe.complete(made.id)
    assert peer.kinds() == [
        "customer.created", "customer.subscription.created", "invoice.created",
        "invoice.finalized", "invoice.paid", "invoice.payment_succeeded",
        "checkout.session.completed",
    ]  # fmt: skip
    session = event["data"]["object"]
    assert (session["status"], session["payment_status"]) == ("complete", "paid")
    assert session["customer"].startswith("cus_")
    sub = await peer.api.v1.subscriptions.retrieve_async(session["subscription"])
    assert (sub.status, sub.customer, sub.metadata.to_dict()) == ("active", session["customer"], {})
    start, end = period(sub)
    assert _dt(start) == peer.clock.now()
    assert _dt(end) == datetime(2026, 2, 1, 12, tzinfo=UTC)
    invoice = await peer.api.v1.invoices.retrieve_async(sub.latest_invoice)  # type: ignore[arg-type]
    assert (invoice.status, invoice.amount_paid, invoice.billing_reason) == (
        "paid", 500, "subscription_create",
    )  # fmt: skip
    assert invoice.parent.subscription_details.subscription == sub.id  # type: ignore[union-attr]


async def test_a_membership_payment_is_a_payment_intent_that_refunds(peer):
    sub = await peer.subscribe()
    invoice = await peer.api.v1.invoices.retrieve_async(sub.latest_invoice)
    intent = invoice["payments"]["data"][0]["payment"]["payment_intent"]
    refund = await peer.api.v1.refunds.create_async({"payment_intent": intent})
    assert refund.amount == 500


async def test_a_subscription_renews_at_its_periods_end_with_a_paid_invoice(peer):
    sub = await peer.subscribe()
    first_end = period(sub)[1]
    since = len(peer.events)
    assert await peer.advance(days=31, hours=1) == [
        "customer.subscription.updated", "invoice.created",  # at the period's end
        "invoice.finalized", "invoice.paid", "invoice.payment_succeeded",  # an hour later
    ]  # fmt: skip
    updated = peer.events[since]
    assert updated["created"] == first_end
    assert "items" in updated["data"]["previous_attributes"]
    assert peer.events[since + 2]["created"] == first_end + 3600
    renewed = await peer.api.v1.subscriptions.retrieve_async(sub.id)
    assert period(renewed) == (first_end, stamp(datetime(2026, 3, 1, 12, tzinfo=UTC)))
    invoice = await peer.api.v1.invoices.retrieve_async(renewed.latest_invoice)  # type: ignore[arg-type]
    assert (invoice.billing_reason, invoice.amount_paid) == ("subscription_cycle", 500)


def test_a_month_from_the_31st_is_the_last_day_of_a_shorter_month():
    jan31 = datetime(2026, 1, 31, 9, tzinfo=UTC)
    assert shifted(jan31, "month", 1) == datetime(2026, 2, 28, 9, tzinfo=UTC)
    assert shifted(jan31, "month", 2) == datetime(2026, 3, 31, 9, tzinfo=UTC)
    assert shifted(datetime(2028, 2, 29, tzinfo=UTC), "year", 1) == datetime(
        2029, 2, 28, tzinfo=UTC
    )


async def test_a_declined_renewal_goes_past_due_then_canceled_after_the_retries(peer):
    sub = await peer.subscribe()
    peer.stripe.billing.set_card(sub.customer, "pm_card_chargeCustomerFail")
    assert await peer.advance(days=31, hours=1) == [
        "customer.subscription.updated", "invoice.created", "invoice.finalized",
        "invoice.payment_failed", "customer.subscription.updated",
    ]  # fmt: skip
    late = await peer.api.v1.subscriptions.retrieve_async(sub.id)
    assert late.status == "past_due"
    invoice = await peer.api.v1.invoices.retrieve_async(late.latest_invoice)  # type: ignore[arg-type]
    failed_at = invoice.status_transitions.finalized_at
    assert (invoice.status, invoice.attempt_count) == ("open", 1)
    assert invoice.next_payment_attempt == failed_at + 14 * 86400 // RETRIES
    kinds = await peer.advance(days=13)
    assert kinds == ["invoice.payment_failed"] * (RETRIES - 1)
    assert await peer.advance(days=1) == ["invoice.payment_failed", "customer.subscription.deleted"]
    ended = await peer.api.v1.subscriptions.retrieve_async(sub.id)
    assert (ended.status, ended.cancellation_details.reason) == ("canceled", "payment_failed")  # type: ignore[union-attr]
    assert ended.ended_at == failed_at + 14 * 86400
    invoice = await peer.api.v1.invoices.retrieve_async(late.latest_invoice)  # type: ignore[arg-type]
    assert (invoice.attempt_count, invoice.next_payment_attempt) == (RETRIES + 1, None)
    assert await peer.advance(days=60) == []  # nothing more: no renewal, no retry


async def test_a_card_changed_during_the_retries_pays_and_the_subscription_is_active_again(peer):
    sub = await peer.subscribe()
    peer.stripe.billing.set_card(sub.customer, "pm_card_chargeCustomerFail")
    await peer.advance(days=31, hours=1)
    peer.stripe.billing.set_card(sub.customer, "pm_card_visa")
    assert await peer.advance(days=2) == [
        "invoice.paid", "invoice.payment_succeeded", "customer.subscription.updated",
    ]  # fmt: skip
    assert peer.events[-1]["data"]["previous_attributes"] == {"status": "past_due"}
    assert (await peer.api.v1.subscriptions.retrieve_async(sub.id)).status == "active"


async def test_a_renewal_that_needs_authentication_asks_for_action_and_goes_past_due(peer):
    sub = await peer.subscribe("pm_card_authenticationRequired")  # the fan was there at first
    assert sub.status == "active"
    kinds = await peer.advance(days=31, hours=1)
    assert kinds[-3:] == [
        "invoice.payment_failed", "invoice.payment_action_required",
        "customer.subscription.updated",
    ]  # fmt: skip
    assert (await peer.api.v1.subscriptions.retrieve_async(sub.id)).status == "past_due"


async def test_a_first_payment_declined_leaves_the_session_open(peer):
    made = await peer.session()
    with pytest.raises(ValueError, match="declined"):
        await peer.stripe.complete(made.id, "pm_card_chargeCustomerFail")
    assert (await peer.api.v1.checkout.sessions.retrieve_async(made.id)).status == "open"
    assert peer.events == []


async def test_a_trial_warns_three_days_ahead_then_ends_into_a_paid_period(peer):
    made = await peer.session(subscription_data={"trial_period_days": 7})
    event = await peer.stripe.complete(made.id)
    assert event["data"]["object"]["payment_status"] == "no_payment_required"
    sub = await peer.api.v1.subscriptions.retrieve_async(event["data"]["object"]["subscription"])
    assert sub.status == "trialing"
    assert sub.trial_end == stamp(peer.clock.now() + timedelta(days=7)) == period(sub)[1]
    first = await peer.api.v1.invoices.retrieve_async(sub.latest_invoice)  # type: ignore[arg-type]
    assert (first.status, first.amount_due) == ("paid", 0)
    assert await peer.advance(days=4) == ["customer.subscription.trial_will_end"]
    assert peer.events[-1]["created"] == sub.trial_end - 3 * 86400
    assert await peer.advance(days=3, hours=1) == [
        "customer.subscription.updated", "invoice.created", "invoice.finalized",
        "invoice.paid", "invoice.payment_succeeded",
    ]  # fmt: skip
    active = await peer.api.v1.subscriptions.retrieve_async(sub.id)
    assert active.status == "active"
    assert period(active)[0] == sub.trial_end
    assert peer.events[-5]["data"]["previous_attributes"]["status"] == "trialing"


async def test_a_trial_of_three_days_or_less_warns_at_once(peer):
    await peer.subscribe(subscription_data={"trial_period_days": 2})
    assert "customer.subscription.trial_will_end" in peer.kinds()


async def test_a_trial_without_a_card_needs_payment_method_collection_if_required(peer):
    made = await peer.session(subscription_data={"trial_period_days": 7})
    with pytest.raises(ValueError, match="needs a card"):
        await peer.stripe.complete(made.id, None)


async def test_a_trial_ending_without_a_card_pauses_when_told_and_resumes_through_the_api(peer):
    sub = await peer.subscribe(
        None, payment_method_collection="if_required",
        subscription_data={"trial_period_days": 7,
                           "trial_settings": {"end_behavior": {"missing_payment_method": "pause"}}},
    )  # fmt: skip
    assert await peer.advance(days=8) == [
        "customer.subscription.trial_will_end", "customer.subscription.updated",
        "customer.subscription.paused",
    ]  # fmt: skip
    paused = await peer.api.v1.subscriptions.retrieve_async(sub.id)
    assert paused.status == "paused"
    assert await peer.advance(days=60) == []  # a paused subscription bills nothing
    peer.stripe.billing.set_card(sub.customer, "pm_card_visa")
    since = len(peer.events)
    resumed = await peer.api.v1.subscriptions.resume_async(sub.id)
    assert resumed.status == "active"
    assert peer.kinds(since)[:3] == [
        "customer.subscription.resumed", "customer.subscription.updated", "invoice.created",
    ]  # fmt: skip
    assert period(resumed)[0] == stamp(peer.clock.now())
    error = await peer.refused(peer.api.v1.subscriptions.resume_async(sub.id))
    assert error.user_message == NOT_PAUSED


async def test_a_trial_ending_without_a_card_cancels_when_told(peer):
    sub = await peer.subscribe(
        None, payment_method_collection="if_required",
        subscription_data={"trial_period_days": 7, "trial_settings": {
            "end_behavior": {"missing_payment_method": "cancel"}}},
    )  # fmt: skip
    assert (await peer.advance(days=8))[-1] == "customer.subscription.deleted"
    assert (await peer.api.v1.subscriptions.retrieve_async(sub.id)).status == "canceled"


async def test_cancel_at_period_end_ends_the_subscription_at_its_periods_end_without_an_invoice(
    peer,
):
    sub = await peer.subscribe()
    since = len(peer.events)
    marked = await peer.api.v1.subscriptions.update_async(sub.id, {"cancel_at_period_end": True})
    assert (marked.status, marked.cancel_at_period_end, marked.cancel_at) == (
        "active", True, period(sub)[1],
    )  # fmt: skip
    [updated] = peer.events[since:]
    assert updated["type"] == "customer.subscription.updated"
    assert updated["data"]["previous_attributes"]["cancel_at_period_end"] is False
    assert updated["request"]["id"].startswith("req_")
    assert await peer.advance(days=40) == ["customer.subscription.deleted"]
    ended = await peer.api.v1.subscriptions.retrieve_async(sub.id)
    assert (ended.status, ended.ended_at) == ("canceled", period(sub)[1])
    assert ended.cancellation_details.reason == "cancellation_requested"  # type: ignore[union-attr]


async def test_canceling_now_ends_it_and_a_canceled_subscription_refuses_changes(peer):
    sub = await peer.subscribe()
    canceled = await peer.api.v1.subscriptions.cancel_async(sub.id)
    assert (canceled.status, canceled.ended_at) == ("canceled", stamp(peer.clock.now()))
    assert peer.kinds()[-1] == "customer.subscription.deleted"
    error = await peer.refused(
        peer.api.v1.subscriptions.update_async(sub.id, {"cancel_at_period_end": False})
    )
    assert (error.http_status, error.user_message) == (400, CANCELED_UPDATE)
    kept = await peer.api.v1.subscriptions.update_async(sub.id, {"metadata": {"note": "left"}})
    assert kept.metadata.to_dict() == {"note": "left"}
    again = await peer.refused(peer.api.v1.subscriptions.cancel_async(sub.id))
    assert (again.http_status, again.code) == (404, "resource_missing")
    assert again.user_message == f"No such subscription: '{sub.id}'"
    assert await peer.advance(days=40) == []


async def test_canceling_now_prorated_and_invoiced_credits_the_unused_time(peer):
    sub = await peer.subscribe()
    start, end = period(sub)
    await peer.advance(days=10)
    bad = await peer.refused(
        peer.api.v1.subscriptions.cancel_async(sub.id, {"prorate": "maybe"})  # type: ignore[typeddict-item]
    )
    assert (bad.http_status, bad.user_message, bad.param) == (
        400, INVALID_BOOLEAN.format(value="maybe"), "prorate",
    )  # fmt: skip
    assert peer.stripe.billing.subscriptions[sub.id]["status"] == "active"
    since = len(peer.events)
    await peer.api.v1.subscriptions.cancel_async(sub.id, {"prorate": True, "invoice_now": True})
    assert peer.kinds(since)[:3] == [
        "customer.subscription.deleted", "invoice.created", "invoice.finalized",
    ]  # fmt: skip
    billing = peer.stripe.billing
    final = billing.invoices[billing.subscriptions[sub.id]["latest_invoice"]]
    left = (end - stamp(peer.clock.now())) / (end - start)
    assert final["total"] == -round(500 * left)
    assert (final["amount_due"], final["status"]) == (0, "paid")
    # the credit waits on the customer's balance for their next invoice
    assert billing.customers[sub.customer]["balance"] == final["total"]


async def test_a_price_change_is_prorated_into_the_next_invoice(peer):
    sub = await peer.subscribe()  # 500 a month from Jan 1 12:00 to Feb 1 12:00 (31 days)
    dearer = await peer.plan(1000, name="Club+")
    await peer.advance(days=15.5)  # half the period left
    item = sub["items"]["data"][0]["id"]
    changed = await peer.api.v1.subscriptions.update_async(
        sub.id, {"items": [{"id": item, "price": dearer.id}]}
    )
    assert changed["items"]["data"][0]["price"]["id"] == dearer.id
    assert peer.kinds()[-1] == "customer.subscription.updated"  # no invoice yet
    await peer.advance(days=16)
    renewed = await peer.api.v1.subscriptions.retrieve_async(sub.id)
    invoice = await peer.api.v1.invoices.retrieve_async(renewed.latest_invoice)  # type: ignore[arg-type]
    amounts = [(line["amount"], line["parent"]["subscription_item_details"]["proration"])
               for line in invoice["lines"]["data"]]  # fmt: skip
    assert amounts == [(-250, True), (500, True), (1000, False)]
    assert (invoice["amount_paid"], invoice["status"]) == (1250, "paid")


async def test_always_invoice_bills_a_price_change_at_once_and_none_bills_nothing(peer):
    sub = await peer.subscribe()
    dearer, dearest = await peer.plan(1000, name="Club+"), await peer.plan(3100, name="Club++")
    await peer.advance(days=15.5)
    item = sub["items"]["data"][0]["id"]
    since = len(peer.events)
    await peer.api.v1.subscriptions.update_async(
        sub.id,
        {"items": [{"id": item, "price": dearer.id}], "proration_behavior": "always_invoice"},
    )
    assert peer.kinds(since) == [
        "customer.subscription.updated", "invoice.created", "invoice.finalized", "invoice.paid",
        "invoice.payment_succeeded",
    ]  # fmt: skip
    assert peer.events[-1]["data"]["object"]["amount_paid"] == 250
    assert peer.events[-1]["data"]["object"]["billing_reason"] == "subscription_update"
    since = len(peer.events)
    await peer.api.v1.subscriptions.update_async(
        sub.id, {"items": [{"id": item, "price": dearest.id}], "proration_behavior": "none"}
    )
    assert peer.kinds(since) == ["customer.subscription.updated"]
    error = await peer.refused(
        peer.api.v1.subscriptions.update_async(sub.id, {"proration_behavior": "sometimes"})  # type: ignore[typeddict-item]
    )
    assert error.user_message == (
        "Invalid proration_behavior: must be one of always_invoice, create_prorations, or none"
    )


async def test_a_subscription_takes_recurring_known_prices_only(peer):
    sub = await peer.subscribe()
    item = sub["items"]["data"][0]["id"]
    one_time = await peer.api.v1.prices.create_async(
        {"currency": "eur", "unit_amount": 500, "product_data": {"name": "Print"}}
    )
    subscriptions = peer.api.v1.subscriptions
    error = await peer.refused(
        subscriptions.update_async(sub.id, {"items": [{"id": item, "price": one_time.id}]})
    )
    assert (error.user_message, error.param) == (ONE_TIME_PRICE, "items[0][price]")
    error = await peer.refused(
        subscriptions.update_async(sub.id, {"items": [{"id": item, "price": "price_nothing"}]})
    )
    assert (error.http_status, error.user_message) == (400, "No such price: 'price_nothing'")


async def test_paused_collection_voids_renewals_until_it_resumes(peer):
    sub = await peer.subscribe()
    resumes = stamp(datetime(2026, 2, 15, tzinfo=UTC))
    paused = await peer.api.v1.subscriptions.update_async(
        sub.id, {"pause_collection": {"behavior": "void", "resumes_at": resumes}}
    )
    assert (paused.status, paused.pause_collection.behavior) == ("active", "void")  # type: ignore[union-attr]
    assert await peer.advance(days=60) == [
        "customer.subscription.updated", "invoice.created", "invoice.voided",  # Feb 1
        "customer.subscription.updated",  # Feb 15: collection resumes
        "customer.subscription.updated", "invoice.created", "invoice.finalized",  # Mar 1
        "invoice.paid", "invoice.payment_succeeded",
    ]  # fmt: skip
    error = await peer.refused(
        peer.api.v1.subscriptions.update_async(sub.id, {"pause_collection": {"behavior": "stop"}})  # type: ignore[typeddict-item]
    )
    assert error.param == "pause_collection[behavior]"


async def test_billing_events_verify_as_signed_and_have_stripes_shape(peer):
    await peer.subscribe()
    await peer.advance(days=31, hours=1)
    for event in peer.events:
        body = json.dumps(event)
        header = stripe.WebhookSignature.generate_signature_header(body, SECRET)
        assert stripe.Webhook.construct_event(body, header, SECRET).type == event["type"]
        assert event["api_version"] == stripe.api_version
        assert event["data"]["object"]["object"] in (
            "customer", "subscription", "invoice", "checkout.session",
        )  # fmt: skip
    kinds = peer.kinds()
    updated = [e for e in peer.events if e["type"] == "customer.subscription.updated"]
    assert all("previous_attributes" in event["data"] for event in updated)
    assert all("previous_attributes" not in e["data"] for e in peer.events if e not in updated)
    assert kinds.count("invoice.paid") == 2


async def test_subscription_data_metadata_goes_on_the_subscription_and_its_invoices(peer):
    sub = await peer.subscribe(subscription_data={"metadata": {"plan": "club"}})
    assert sub.metadata.to_dict() == {"plan": "club"}
    invoice = await peer.api.v1.invoices.retrieve_async(sub.latest_invoice)  # type: ignore[arg-type]
    assert invoice.parent.subscription_details.metadata.to_dict() == {"plan": "club"}  # type: ignore[union-attr]


async def test_after_the_retries_an_account_set_so_marks_the_subscription_unpaid(peer):
    peer.stripe.billing.after_retries = "unpaid"
    sub = await peer.subscribe("pm_card_visa")
    peer.stripe.billing.set_card(sub.customer, "pm_card_chargeCustomerFail")
    kinds = await peer.advance(days=31 + 15)
    assert kinds[-2:] == ["invoice.payment_failed", "customer.subscription.updated"]
    assert (await peer.api.v1.subscriptions.retrieve_async(sub.id)).status == "unpaid"


async def test_billing_requests_keep_their_idempotency_keys(peer):
    key = {"idempotency_key": "product-1"}
    first = await peer.api.v1.products.create_async({"name": "Club"}, options=key)
    again = await peer.api.v1.products.create_async({"name": "Club"}, options=key)
    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    with pytest.raises(stripe.IdempotencyError):
        await peer.api.v1.products.create_async({"name": "Club+"}, options=key)
    assert len(peer.stripe.billing.products) == 1


# docs.stripe.com/api/customer_portal/sessions


async def test_a_portal_session_for_a_customer_has_a_url(peer):
    sub = await peer.subscribe()
    portal = await peer.api.v1.billing_portal.sessions.create_async(
        {"customer": sub.customer, "return_url": "https://drops.example.com/account"}  # type: ignore[typeddict-item]
    )
    assert (portal.object, portal.customer, portal.return_url) == (
        "billing_portal.session", sub.customer, "https://drops.example.com/account",
    )  # fmt: skip
    assert portal.url.startswith("https://")


async def test_a_portal_session_needs_a_known_customer(peer):
    sessions = peer.api.v1.billing_portal.sessions
    error = await peer.refused(sessions.create_async({"return_url": "https://x.example"}))  # type: ignore[typeddict-item]
    assert (error.code, error.user_message) == (
        "parameter_missing",
        "Missing required param: customer.",
    )
    error = await peer.refused(sessions.create_async({"customer": "cus_nothing"}))
    assert (error.http_status, error.code, error.param) == (400, "resource_missing", "customer")
    assert error.user_message == "No such customer: 'cus_nothing'"


async def test_a_portal_session_is_refused_until_the_portal_settings_are_saved(peer):
    customer = await peer.api.v1.customers.create_async({"email": "fan@example.com"})
    peer.stripe.billing.portal_saved = False
    error = await peer.refused(
        peer.api.v1.billing_portal.sessions.create_async({"customer": customer.id})
    )
    assert error.user_message == PORTAL_UNSAVED


def _dt(stamp_: int) -> datetime:
    return datetime.fromtimestamp(stamp_, tz=UTC)


# docs.stripe.com/api/subscriptions/list


async def test_listing_subscriptions_pages_newest_first_with_starting_after(peer):
    price = await peer.plan()
    made = [await peer.stripe.billing.started_elsewhere(price.id, f"f{n}@example.com")
            for n in range(5)]  # fmt: skip
    first = await peer.api.v1.subscriptions.list_async({"limit": 3})
    assert [sub.id for sub in first.data] == [sub["id"] for sub in made[::-1][:3]]
    assert first.has_more is True
    rest = await peer.api.v1.subscriptions.list_async(
        {"limit": 3, "starting_after": first.data[-1].id}
    )
    assert [sub.id for sub in rest.data] == [made[1]["id"], made[0]["id"]]
    assert rest.has_more is False
    assert len((await peer.api.v1.subscriptions.list_async()).data) == 5  # 10 by default


async def test_listing_leaves_out_canceled_subscriptions_unless_asked(peer):
    kept, gone = await peer.subscribe(), await peer.subscribe()
    await peer.api.v1.subscriptions.cancel_async(gone.id)
    listed = await peer.api.v1.subscriptions.list_async()
    assert [sub.id for sub in listed.data] == [kept.id]
    every = await peer.api.v1.subscriptions.list_async({"status": "all"})
    assert [sub.id for sub in every.data] == [gone.id, kept.id]
    ended = await peer.api.v1.subscriptions.list_async({"status": "canceled"})
    assert [sub.id for sub in ended.data] == [gone.id]


async def test_listing_expands_each_customer_when_asked(peer):
    price = await peer.plan()
    await peer.stripe.billing.started_elsewhere(price.id, "ada@example.com")
    plain = (await peer.api.v1.subscriptions.list_async()).data[0]
    assert isinstance(plain.customer, str)
    expanded = await peer.api.v1.subscriptions.list_async({"expand": ["data.customer"]})
    assert expanded.data[0].customer.email == "ada@example.com"
    assert isinstance(peer.stripe.billing.subscriptions[plain.id]["customer"], str)


@pytest.mark.parametrize(
    ("params", "message", "param"),
    [({"limit": 0}, LIST_TOO_FEW, "limit"), ({"limit": 101}, LIST_TOO_MANY, "limit"),
     ({"status": "live"}, "Invalid status: must be one of active, all, canceled, ended, "
      "incomplete, incomplete_expired, past_due, paused, trialing, or unpaid", "status"),
     ({"expand": ["customer"]}, "This property cannot be expanded (customer).", "expand"),
     ({"expand": ["data.plan"]}, "This property cannot be expanded (data.plan).", "expand"),
     ({"starting_after": "sub_nothing"}, "No such subscription: 'sub_nothing'",
      "starting_after")],
)  # fmt: skip
async def test_a_listing_is_refused_as_stripe_refuses_it(peer, params, message, param):
    error = await peer.refused(peer.api.v1.subscriptions.list_async(params))
    assert (error.http_status, error.user_message, error.param) == (400, message, param)


async def test_a_metadata_update_changes_nothing_billed(peer):
    sub = await peer.subscribe()
    invoices, since = len(peer.stripe.billing.invoices), len(peer.events)
    updated = await peer.api.v1.subscriptions.update_async(
        sub.id, {"metadata": {"fan_id": "7", "plan_id": "1"}}
    )
    assert updated.metadata.to_dict() == {"fan_id": "7", "plan_id": "1"}
    assert period(updated) == period(sub)
    assert len(peer.stripe.billing.invoices) == invoices
    assert peer.kinds(since) == ["customer.subscription.updated"]


async def test_invoice_payments_are_found_by_their_payment_intent(peer):
    sub = await peer.subscribe()
    invoice = peer.stripe.billing.invoices[sub.latest_invoice]
    intent = invoice["payments"]["data"][0]["payment"]["payment_intent"]
    payments = peer.api.v1.invoice_payments
    found = await payments.list_async(
        {"payment": {"type": "payment_intent", "payment_intent": intent}}
    )
    assert [(p.invoice, p.status) for p in found.data] == [(invoice["id"], "paid")]
    none = await payments.list_async(
        {"payment": {"type": "payment_intent", "payment_intent": "pi_other"}}
    )
    assert none.data == []
    untyped = await peer.refused(
        payments.list_async({"payment": {"payment_intent": intent}})  # type: ignore[typeddict-item]
    )
    assert (untyped.code, untyped.param) == ("parameter_missing", "payment[type]")
    assert untyped.user_message == "Missing required param: payment[type]."
