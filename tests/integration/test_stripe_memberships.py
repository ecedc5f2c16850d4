"""A fan joins a plan through Stripe Billing, and Stripe's subscription events keep their
membership right: the real `stripe` library against the Billing stripe_peer
(tests/peers/stripe_billing.py), its events signed and handed to our webhook receiver, kept
in the inbox and handled, each by re-reading the subscription."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import stripe

from adapters.stripe.webhooks import StripeWebhooks
from bots.bootstrap import bootstrap
from config import load_settings
from core.app import Core
from core.errors import InvalidState
from core.fans import FanRef
from core.kinds import Platform
from core.memberships.members import MembershipView, membership_view
from core.memberships.plans import PlanSpec
from core.models import Membership, MembershipPlan
from core.money import Money
from core.ports import NotConfigured
from tests.builders import handled
from tests.peers.stripe_checkout import StripeCheckoutPeer

WEBHOOK_SECRET = "whsec_memberships_test"
FAN = FanRef(Platform.TELEGRAM, "4242", "Ada")


@pytest.fixture
async def core(world, stripe_peer) -> AsyncIterator[Core]:
    settings = load_settings(
        database_url=world.app.settings.database_url,
        stripe_secret_key="sk_test_dropcast",
        stripe_api_base=stripe_peer[1],
        stripe_webhook_secret=WEBHOOK_SECRET,
        public_base_url="https://drops.example.com",
    )
    app = bootstrap(settings, clock=world.clock, messenger=world.messenger)
    yield app.core
    await app.close()


@pytest.fixture
async def api(stripe_peer) -> AsyncIterator[stripe.StripeClient]:
    http = stripe.AIOHTTPClient()
    yield stripe.StripeClient(
        "sk_test_dropcast", base_addresses={"api": stripe_peer[1]}, http_client=http
    )
    await http.close_async()  # type: ignore[no-untyped-call]


class Stripe:
    """Stripe's side of a test: the fan on Stripe's pages, and the events it posts to us."""

    def __init__(self, core: Core, checkout: StripeCheckoutPeer) -> None:
        self.core = core
        self.checkout = checkout
        self.webhooks = StripeWebhooks(core, WEBHOOK_SECRET)
        self.sent = 0

    def pending(self) -> list[dict[str, Any]]:
        events = self.checkout.events[self.sent :]
        self.sent = len(self.checkout.events)
        return events

    async def deliver(self, events: list[dict[str, Any]]) -> list[str]:
        """Post the events to our receiver, then let the inbox handle them."""
        for event in events:
            body = json.dumps(event)
            header = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
            reply = await self.webhooks.receive(body.encode(), {"Stripe-Signature": header})
            assert reply.status == 200, reply
        await self.core.inbox.drain({"stripe": self.webhooks.handle})
        return [event["type"] for event in events]

    async def join(self, plan: str = "Club", card: str = "pm_card_visa") -> str:
        """The fan follows the join link and subscribes; returns the subscription's id."""
        url = await self.core.joining.join(plan, FAN)
        [session] = [s for s in self.checkout.sessions.values() if s["url"] == url]
        completed = await self.checkout.complete(session["id"], card)
        await self.deliver(self.pending())
        return str(completed["data"]["object"]["subscription"])

    async def advance(self, **delta: float) -> list[str]:
        await self.checkout.billing.advance(self.checkout.clock.now() + timedelta(**delta))
        return await self.deliver(self.pending())


@pytest.fixture
async def stripe_side(core, stripe_peer) -> Stripe:
    await core.plans.create(PlanSpec("Club", Money(500, "EUR")))
    return Stripe(core, stripe_peer[0])


async def member(subscription: str) -> MembershipView:
    return await membership_view((await Membership.get(subscription_ref=subscription)).id)


def period_end(checkout: StripeCheckoutPeer, subscription: str) -> datetime:
    item = checkout.billing.subscriptions[subscription]["items"]["data"][0]
    return datetime.fromtimestamp(item["current_period_end"], UTC)


async def test_a_fan_joins_and_is_an_active_member_until_the_period_ends(stripe_side, stripe_peer):
    checkout, _ = stripe_peer
    sub = await stripe_side.join()
    joined = await member(sub)
    assert (joined.state, joined.current_period_end) == ("active", period_end(checkout, sub))
    [session] = checkout.sessions.values()
    assert session["mode"] == "subscription"
    assert session["metadata"] == {"fan_id": str(joined.fan_id), "plan_id": str(joined.plan_id)}
    assert checkout.billing.subscriptions[sub]["metadata"] == session["metadata"]
    assert session["client_reference_id"] == f"fan-{joined.fan_id}-plan-{joined.plan_id}"
    [(price, quantity)] = checkout.billing._checkouts[session["id"]]["lines"]
    plan = await MembershipPlan.get(id=joined.plan_id)
    assert (price["id"], quantity) == (plan.stripe_price_ref, 1)
    assert (price["unit_amount"], price["currency"]) == (500, "eur")
    assert price["recurring"]["interval"] == "month"


async def test_a_plans_trial_starts_the_member_trialing_on_the_one_price(core, stripe_peer):
    checkout, _ = stripe_peer
    await core.plans.create(PlanSpec("Trial club", Money(900, "EUR"), "yearly", trial_days=7))
    side = Stripe(core, checkout)
    sub = await side.join("Trial club")
    trial = await member(sub)
    assert trial.state == "trialing"
    assert trial.trial_end == checkout.clock.now() + timedelta(days=7)
    assert len(checkout.billing.prices) == 1
    await side.advance(days=8)
    assert (await member(sub)).state == "active"
    await core.joining.join("Trial club", FanRef(Platform.DISCORD, "77", "Bo"))
    assert len(checkout.billing.prices) == 1  # the plan's price is made once


async def test_a_renewal_keeps_the_membership_active_into_the_next_period(stripe_side, stripe_peer):
    checkout, _ = stripe_peer
    sub = await stripe_side.join()
    first_end = (await member(sub)).current_period_end
    assert "invoice.paid" in await stripe_side.advance(days=32, hours=2)
    renewed = await member(sub)
    assert renewed.state == "active"
    assert renewed.current_period_end == period_end(checkout, sub) > first_end


async def test_a_failed_card_goes_past_due_then_ends(stripe_side, stripe_peer):
    checkout, _ = stripe_peer
    sub = await stripe_side.join()
    customer = checkout.billing.subscriptions[sub]["customer"]
    checkout.billing.set_card(customer, "pm_card_chargeCustomerFail")
    assert "invoice.payment_failed" in await stripe_side.advance(days=32, hours=2)
    assert (await member(sub)).state == "past_due"
    assert "customer.subscription.deleted" in await stripe_side.advance(days=15)
    ended = await member(sub)
    assert (ended.state, ended.access_until) == ("ended", None)


async def test_cancelling_at_period_end_keeps_access_until_then(stripe_side, stripe_peer, api):
    checkout, _ = stripe_peer
    sub = await stripe_side.join()
    # a snapshot is the subscription as read at a moment: the fan cancels a while later
    await stripe_side.advance(hours=1)
    await api.v1.subscriptions.update_async(sub, {"cancel_at_period_end": True})
    await stripe_side.deliver(stripe_side.pending())
    leaving = await member(sub)
    assert leaving.state == "cancelled_at_period_end"
    assert leaving.access_until == period_end(checkout, sub)
    await stripe_side.advance(days=32)
    assert (await member(sub)).state == "ended"


async def test_events_twice_and_shuffled_end_in_the_same_state(stripe_side, stripe_peer, core):
    checkout, _ = stripe_peer
    url = await core.joining.join("Club", FAN)
    [session] = [s for s in checkout.sessions.values() if s["url"] == url]
    sub = str((await checkout.complete(session["id"]))["data"]["object"]["subscription"])
    checkout.billing.set_card(
        checkout.billing.subscriptions[sub]["customer"], "pm_card_chargeCustomerFail"
    )
    await checkout.billing.advance(checkout.clock.now() + timedelta(days=32, hours=2))
    events = stripe_side.pending()
    shuffled = events + events
    random.Random(21).shuffle(shuffled)
    await stripe_side.deliver(shuffled)
    again = await member(sub)
    assert again.state == "past_due"
    assert again.current_period_end == period_end(checkout, sub)
    assert await Membership.filter(subscription_ref=sub).count() == 1


async def test_a_member_cannot_join_the_same_plan_again(stripe_side, core):
    await stripe_side.join()
    with pytest.raises(InvalidState, match="already a member of 'Club'"):
        await core.joining.join("Club", FAN)


async def test_an_archived_plan_cannot_be_joined(stripe_side, core, stripe_peer):
    [plan] = await MembershipPlan.all()
    await core.plans.archive(plan.id)
    with pytest.raises(InvalidState, match="no longer offered"):
        await core.joining.join("Club", FAN)
    assert stripe_peer[0].sessions == {}


async def test_the_portal_link_is_stripes_for_the_members_customer(stripe_side, core, stripe_peer):
    sub = await stripe_side.join()
    url = await core.joining.portal(FAN)
    [portal] = stripe_peer[0].billing.portal_sessions.values()
    assert (url, portal["customer"]) == (
        portal["url"],
        stripe_peer[0].billing.subscriptions[sub]["customer"],
    )


async def test_without_a_stripe_key_joining_is_refused_naming_the_setting(world):
    await world.app.core.plans.create(PlanSpec("Club", Money(500, "EUR")))
    with pytest.raises(NotConfigured, match="STRIPE_SECRET_KEY"):
        await world.app.core.joining.join("Club", FAN)
    with pytest.raises(NotConfigured, match="STRIPE_SECRET_KEY"):
        await world.app.core.joining.refresh("sub_123")


async def test_a_subscription_made_outside_dropcast_changes_nothing(stripe_side, stripe_peer, api):
    checkout, _ = stripe_peer
    price = await api.v1.prices.create_async(
        {"currency": "eur", "unit_amount": 700, "recurring": {"interval": "month"},
         "product_data": {"name": "Someone else's"}}  # type: ignore[typeddict-item]
    )  # fmt: skip
    session = await api.v1.checkout.sessions.create_async(
        {
            "mode": "subscription",
            "line_items": [{"price": price.id, "quantity": 1}],
            "success_url": "https://elsewhere.example.com",
        }
    )
    await checkout.complete(session.id)
    await stripe_side.deliver(stripe_side.pending())
    assert await Membership.all().count() == 0
    assert set(await handled()) == {"not a membership of ours"}


async def test_an_invoice_of_no_subscription_is_ignored(stripe_side):
    body = json.dumps(
        {"id": "evt_one_off", "type": "invoice.paid",
         "data": {"object": {"id": "in_1", "object": "invoice", "parent": None}}}
    )  # fmt: skip
    header = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
    reply = await stripe_side.webhooks.receive(body.encode(), {"Stripe-Signature": header})
    assert (reply.status, reply.body) == (200, {"outcome": "ignored"})
    assert await handled() == []


async def test_a_subscription_stripe_does_not_have_is_unmatched_not_retried(stripe_side):
    body = json.dumps(
        {"id": "evt_gone", "type": "customer.subscription.updated",
         "data": {"object": {"id": "sub_gone", "object": "subscription"}}}
    )  # fmt: skip
    header = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
    await stripe_side.webhooks.receive(body.encode(), {"Stripe-Signature": header})
    await stripe_side.core.inbox.drain({"stripe": stripe_side.webhooks.handle})
    assert await handled() == ["unmatched: No such subscription: 'sub_gone'"]


async def test_switching_plans_in_the_portal_moves_the_one_membership(stripe_side, core, api):
    await core.plans.create(PlanSpec("Patrons", Money(5000, "EUR"), "yearly"))
    sub = await stripe_side.join()
    club = await member(sub)
    await core.joining.join("Patrons", FanRef(Platform.DISCORD, "77", "Bo"))  # its price made
    patrons = await MembershipPlan.get(name="Patrons")
    item = (await api.v1.subscriptions.retrieve_async(sub))["items"]["data"][0]
    await stripe_side.advance(hours=1)  # the fan switches in the portal, prorated
    await api.v1.subscriptions.update_async(
        sub, {"items": [{"id": item["id"], "price": patrons.stripe_price_ref}]}
    )
    await stripe_side.deliver(stripe_side.pending())
    switched = await member(sub)
    assert (switched.id, switched.plan_id, switched.state) == (club.id, patrons.id, "active")
    assert await Membership.filter(fan_id=club.fan_id).count() == 1
