"""`POST /webhooks/stripe`: verify with Stripe's own code, keep each event we act on once,
and, once Stripe has its answer, turn it into core calls (see `core.inbox`).

Bad signatures, stale replays and garbage bodies get a 400 and change nothing; event types
we do not act on get a 200 so Stripe stops redelivering them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import stripe
import structlog

from adapters.stripe.amounts import from_stripe
from adapters.webhooks import WebhookReply
from core.app import Core
from core.drops.order_rows import PaymentReceived
from core.errors import DropcastError, InvalidInput
from core.inbox import DUPLICATE
from core.kinds import OrderStatus, PaymentProvider

log = structlog.get_logger(__name__)

SETTLING = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
REVERSING = {
    "charge.refunded": OrderStatus.REFUNDED,
    "charge.dispute.created": OrderStatus.DISPUTED,
}
FAILING = "checkout.session.async_payment_failed"
DISPUTE_CLOSED = "charge.dispute.closed"
# a closed dispute's statuses that leave the creator the money: won, or an inquiry that
# never became a chargeback
MONEY_KEPT = ("won", "warning_closed")
# Stripe's warning three days before a trial ends: the member is told, besides the re-read
TRIAL_ENDING = "customer.subscription.trial_will_end"
# a membership's subscription changed: each is handled by re-reading the subscription from
# Stripe, so their order and repetition cannot matter (checkout.session.completed in
# subscription mode is one of them too)
MEMBERSHIP = frozenset(
    (
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.paused",
        "customer.subscription.resumed",
        "invoice.paid",
        "invoice.payment_failed",
        TRIAL_ENDING,
    )
)
ACTED_ON = frozenset((*SETTLING, *REVERSING, FAILING, DISPUTE_CLOSED, *MEMBERSHIP))
TOLERANCE_SECONDS = 300


class StripeWebhooks:
    def __init__(self, core: Core, secret: str) -> None:
        self.core = core
        self.secret = secret

    async def receive(self, body: bytes, headers: Mapping[str, str]) -> WebhookReply:
        try:
            event = verified_event(body, headers.get("Stripe-Signature"), self.secret)
        except stripe.SignatureVerificationError:
            return WebhookReply(400, {"error": "signature does not verify (or is too old)"})
        except ValueError:
            return WebhookReply(400, {"error": "body is not a Stripe event"})
        kind = str(event.get("type", ""))
        if not event.get("id") or not kind or not isinstance(_object(event), dict):
            return WebhookReply(400, {"error": "event has no id, type or object"})
        if kind not in ACTED_ON:
            return WebhookReply(200, {"outcome": "ignored"})
        obj = _object(event)
        if kind in MEMBERSHIP and not subscription_of(kind, obj):
            return WebhookReply(200, {"outcome": "ignored"})  # an invoice of no subscription
        sub = subscription_of(kind, obj)
        key = f"stripe:{sub}" if sub else payment_key(obj)
        kept = await self.core.inbox.keep("stripe", str(event["id"]), kind, body.decode(), key=key)
        return WebhookReply(200, {"outcome": "accepted" if kept else DUPLICATE})

    async def handle(self, kind: str, payload: str, received_at: datetime) -> str:
        """A kept event's effect, once Stripe has had its answer."""
        obj = _object(json.loads(payload))
        sub = subscription_of(kind, obj)
        if sub:
            return await self._membership(sub, received_at, trial_ending=kind == TRIAL_ENDING)
        if kind in MEMBERSHIP or obj.get("mode") == "subscription":
            return "no subscription yet"
        if kind in REVERSING:
            return await self._reverse(kind, obj)
        if kind == FAILING:
            return await self._failed(obj)
        if kind == DISPUTE_CLOSED:
            return await self._dispute_closed(obj)
        try:
            payment = payment_from_session(obj)
            if payment is None:
                return "awaiting payment"
            order = await self.core.payments.settle(payment)
        except DropcastError as error:  # no hold of ours, bad reference: say so, don't retry
            log.error("stripe_payment_unmatched", session=obj.get("id"), reason=str(error))
            return f"unmatched: {error}"
        return f"order {order.id} {order.status}"

    async def _membership(
        self, subscription_ref: str, received_at: datetime, *, trial_ending: bool = False
    ) -> str:
        """The membership as Stripe has its subscription in a read made after the event
        arrived. Stripe out of reach raises, and the event is tried again."""
        try:
            joining = self.core.joining
            refresh = joining.trial_ending if trial_ending else joining.refresh
            member = await refresh(subscription_ref, since=received_at)
        except stripe.InvalidRequestError as error:  # Stripe has no such subscription
            return f"unmatched: {error.user_message or error.code}"
        except DropcastError as error:  # a fan or plan we do not have: say so, don't retry
            log.error(
                "stripe_membership_unmatched", subscription=subscription_ref, reason=str(error)
            )
            return f"unmatched: {error}"
        if member is None:
            return "not a membership of ours"
        return f"membership {member.id} {member.state}"

    async def _failed(self, session: Mapping[str, Any]) -> str:
        reference = str(session.get("client_reference_id") or "")
        if not reference.isdigit():
            return "unmatched: no hold named"
        try:
            await self.core.holds.payment_failed(int(reference))
        except DropcastError as error:
            return f"unmatched: {error}"
        return "fan told the payment failed"

    async def _reverse(self, kind: str, obj: Mapping[str, Any]) -> str:
        """A refund or dispute made in Stripe's dashboard takes back what the order granted."""
        if kind == "charge.refunded" and obj.get("amount_refunded") != obj.get("amount"):
            return "partial refund: order kept"  # the creator gave part of the money back
        payment_id = str(obj.get("payment_intent") or "")
        order = await self.core.payments.reverse(payment_id, REVERSING[kind])
        if order is not None:
            return f"order {order.id} {order.status}"
        if not payment_id:
            return "no order for this payment"
        try:  # a membership's renewal, perhaps: the creator's policy says what follows
            member = await self.core.payment_reversals.reversed(
                payment_id, disputed=kind != "charge.refunded"
            )
        except stripe.InvalidRequestError as error:
            return f"unmatched: {error.user_message or error.code}"
        if member is None:
            return "no order or membership for this payment"
        return f"membership {member.id} {member.state}: its payment {REVERSING[kind]}"

    async def _dispute_closed(self, dispute: Mapping[str, Any]) -> str:
        """A dispute the creator won gives the order back what the dispute took; a lost one
        leaves it disputed."""
        if dispute.get("status") not in MONEY_KEPT:
            return f"dispute {dispute.get('status')}: order stays disputed"
        order = await self.core.payments.restore(str(dispute.get("payment_intent") or ""))
        return f"order {order.id} {order.status}" if order else "no order for this payment"


def verified_event(body: bytes, signature: str | None, secret: str) -> dict[str, Any]:
    """What `stripe.Webhook.construct_event` checks, with Stripe's own verifier, but read as
    plain JSON: building its StripeObject tree cost more than the rest of a webhook's
    handling together (bench/webhooks.py)."""
    payload = body.decode("utf-8")  # UnicodeDecodeError is a ValueError: a bad body
    stripe.WebhookSignature.verify_header(payload, signature or "", secret, TOLERANCE_SECONDS)
    event = json.loads(payload)
    if not isinstance(event, dict):
        raise ValueError("a Stripe event is a JSON object")
    return event


def payment_key(obj: Mapping[str, Any]) -> str:
    """The payment an event is about (a session, a refunded charge and a dispute all name
    its PaymentIntent): its events are handled in turn, so a refund never overtakes it."""
    return f"stripe:{obj.get('payment_intent') or obj.get('id')}"


def subscription_of(kind: str, obj: Mapping[str, Any]) -> str:
    """The subscription a membership event is about, "" if none: a subscription-mode
    Checkout Session's, the subscription itself, an invoice's (under
    `parent.subscription_details` since API version 2025-03-31)."""
    if kind.startswith("customer.subscription."):
        return str(obj.get("id") or "")
    if kind in SETTLING:
        return str(obj.get("subscription") or "") if obj.get("mode") == "subscription" else ""
    if kind in MEMBERSHIP:  # an invoice
        parent = obj.get("parent") or {}
        details = parent.get("subscription_details") or {} if isinstance(parent, dict) else {}
        found = obj.get("subscription") or details.get("subscription")
        return str(found or "")
    return ""


def _object(event: Mapping[str, Any]) -> Any:
    data = event.get("data")
    return data.get("object") if isinstance(data, dict) else None


def payment_from_session(session: Mapping[str, Any]) -> PaymentReceived | None:
    """A paid Checkout Session as the core's payment; None while it awaits payment."""
    if session.get("payment_status") != "paid":
        return None
    reference = str(session.get("client_reference_id") or "")
    if not reference.isdigit():
        raise InvalidInput(f"client_reference_id {reference!r} names no hold")
    amount, currency = session.get("amount_total"), session.get("currency")
    if not isinstance(amount, int) or not isinstance(currency, str):
        raise InvalidInput("the session has no amount_total and currency")
    return PaymentReceived(
        payment_id=str(session.get("payment_intent") or session["id"]),
        provider=PaymentProvider.STRIPE,
        hold_id=int(reference),
        amount=from_stripe(amount, currency),
        shipping_address=shipping_address(session),
    )


def shipping_address(session: Mapping[str, Any]) -> dict[str, str] | None:
    """Where a physical order goes: `collected_information.shipping_details` in current API
    versions, `shipping_details` in older ones."""
    collected = session.get("collected_information") or {}
    details = collected.get("shipping_details") or session.get("shipping_details")
    if not isinstance(details, Mapping):
        return None
    address = details.get("address")
    flat = {"name": details.get("name"), **(address if isinstance(address, Mapping) else {})}
    return {key: str(value) for key, value in flat.items() if value} or None
