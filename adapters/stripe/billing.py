"""Memberships through Stripe Billing (the `MembershipBilling` port): a plan is a recurring
price, made the first time a fan joins it; a fan joins on a subscription-mode Checkout page
that names the fan and plan in its metadata (and the subscription's), never their email; the
customer portal is where a member changes card or cancels. A subscription is always re-read
from Stripe, so what the core records is Stripe's state now, whichever event told us."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any

import stripe

from adapters.pacing import PerSecond
from adapters.stripe.amounts import from_stripe, to_stripe_charge
from adapters.stripe.checkout import SESSIONS_PER_SECOND, StripeApi, request_key
from adapters.stripe.listing import still_billing
from adapters.stripe.refunds import UNREACHABLE, StripeRefunds
from adapters.stripe.subscription_reads import SubscriptionReads
from core.errors import InvalidInput, ProviderUnreachable
from core.kinds import PlanPeriod, SubscriptionProvider
from core.memberships.members import subscriptions_known
from core.memberships.states import Pause, Snapshot
from core.money import Money
from core.pace import take_turn
from core.ports import BilledPlan, BilledSubscription, Clock, JoinLink, ListedSubscription

INTERVALS = {PlanPeriod.MONTHLY: "month", PlanPeriod.YEARLY: "year"}
ENDED = ("canceled", "incomplete_expired")  # Stripe's statuses of a subscription for good


class StripeMembershipBilling:
    def __init__(self, api: StripeApi, clock: Clock, public_base_url: str) -> None:
        self.client = api.client
        self.schedule = api.schedule
        self.refunds = StripeRefunds(api)
        self.clock = clock
        self.base_url = public_base_url.rstrip("/")
        known = partial(subscriptions_known, SubscriptionProvider.STRIPE)
        self.reads = SubscriptionReads(api.client, clock, self._turn, known)
        self.sent = PerSecond(SESSIONS_PER_SECOND)  # this process's own, however late it woke

    async def join_link(self, plan: BilledPlan, fan_id: int) -> JoinLink:
        price_ref = plan.price_ref or await self._price(plan)
        ours = {"fan_id": str(fan_id), "plan_id": str(plan.plan_id)}
        subscription_data: dict[str, Any] = {"metadata": ours}
        if plan.trial_days > 0:
            subscription_data["trial_period_days"] = plan.trial_days
        params: dict[str, Any] = {
            "mode": "subscription",
            "line_items": [{"price": price_ref, "quantity": 1}],
            "client_reference_id": f"fan-{fan_id}-plan-{plan.plan_id}",
            "metadata": ours,
            "subscription_data": subscription_data,
            "success_url": f"{self.base_url}/joined?plan={plan.plan_id}",
            "cancel_url": f"{self.base_url}/not-joined?plan={plan.plan_id}",
        }
        await self._turn()
        session = await self.client.v1.checkout.sessions.create_async(params)  # type: ignore[arg-type]
        return JoinLink(url=str(session.url), price_ref=price_ref)

    async def _price(self, plan: BilledPlan) -> str:
        """The plan's recurring price and its product, made once: a retry, or two fans'
        first joins at once, carry the same idempotency key and get the same price."""
        params: dict[str, Any] = {
            "currency": plan.price.currency.lower(),
            "unit_amount": to_stripe_charge(plan.price),
            "recurring": {"interval": INTERVALS[PlanPeriod(plan.period)]},
            "product_data": {"name": plan.name},
            "metadata": {"plan_id": str(plan.plan_id)},
        }
        options: Any = {"idempotency_key": request_key(f"dropcast-plan-{plan.plan_id}", params)}
        await self._turn()
        price = await self.client.v1.prices.create_async(params, options)  # type: ignore[arg-type]
        return str(price.id)

    async def portal_link(self, subscription_ref: str) -> str:
        sub = await self.client.v1.subscriptions.retrieve_async(subscription_ref)
        customer = sub.customer if isinstance(sub.customer, str) else sub.customer.id
        await self._turn()
        session = await self.client.v1.billing_portal.sessions.create_async(
            {"customer": customer, "return_url": f"{self.base_url}/membership"}
        )
        return str(session.url)

    async def subscription(
        self, subscription_ref: str, since: datetime | None = None
    ) -> BilledSubscription:
        return billed(*await self.reads.read(subscription_ref, since))

    async def billing_subscriptions(self) -> list[ListedSubscription]:
        try:
            return [listed(sub, self.clock.now()) async for sub in still_billing(
                self.client, self._turn
            )]  # fmt: skip
        except UNREACHABLE as error:
            raise ProviderUnreachable(
                f"Stripe did not answer the listing of subscriptions ({type(error).__name__})"
            ) from error

    async def assign(self, subscription_ref: str, fan_id: int, plan_id: int) -> BilledSubscription:
        """Only the metadata changes: Stripe neither prorates nor invoices for it
        (docs.stripe.com/api/subscriptions/update)."""
        ours = {"fan_id": str(fan_id), "plan_id": str(plan_id)}
        await self._turn()
        try:
            sub = await self.client.v1.subscriptions.update_async(
                subscription_ref, {"metadata": ours}
            )
        except UNREACHABLE as error:
            raise ProviderUnreachable(
                f"Stripe did not answer the claim ({type(error).__name__}); try again"
            ) from error
        return billed(sub.to_dict(), self.clock.now())

    async def cancel_and_refund(
        self, subscription_ref: str, reason: str, refund: bool = True
    ) -> None:
        """Cancel now without proration or a final invoice (`prorate`, `invoice_now` off: the
        whole latest payment goes back instead), then, with `refund`, refund that payment
        through `StripeRefunds`, keyed by its PaymentIntent, so a retry refunds it once. A
        subscription cancelled already (by us before, or by the fan) is only refunded."""
        try:
            sub = (await self.client.v1.subscriptions.retrieve_async(subscription_ref)).to_dict()
            if sub.get("status") not in ENDED:
                await self._turn()
                try:
                    await self.client.v1.subscriptions.cancel_async(
                        subscription_ref,
                        {"prorate": False, "invoice_now": False,
                         "cancellation_details": {"comment": reason[:500]}},
                    )  # fmt: skip
                except stripe.InvalidRequestError as error:
                    if error.code != "resource_missing":  # Stripe's answer once cancelled
                        raise
            latest = sub.get("latest_invoice")
            invoice = None
            if refund and isinstance(latest, str) and latest:
                invoice = (
                    await self.client.v1.invoices.retrieve_async(latest, {"expand": ["payments"]})
                ).to_dict()
        except UNREACHABLE as error:
            raise ProviderUnreachable(
                f"Stripe did not answer the cancellation ({type(error).__name__}); it waits"
            ) from error
        paid = _paid_intent(invoice)
        if paid is not None:
            await self.refunds.refund(paid[0], paid[1], reason)

    async def subscription_of_payment(self, payment_id: str) -> str | None:
        """Through the invoice the PaymentIntent paid (`GET /v1/invoice_payments`, API
        version 2025-03-31 on: a charge no longer names its invoice)."""
        try:
            paid = await self.client.v1.invoice_payments.list_async(
                {"payment": {"type": "payment_intent", "payment_intent": payment_id}, "limit": 1}
            )
            if not paid.data:
                return None
            invoice_id = paid.data[0].invoice
            if not isinstance(invoice_id, str):
                invoice_id = invoice_id.id
            invoice = (await self.client.v1.invoices.retrieve_async(invoice_id)).to_dict()
        except UNREACHABLE as error:
            raise ProviderUnreachable(
                f"Stripe did not answer which invoice a payment paid ({type(error).__name__})"
            ) from error
        parent = invoice.get("parent") or {}
        details = parent.get("subscription_details") or {}
        found = details.get("subscription") or invoice.get("subscription")
        return str(found) if found else None

    async def _turn(self) -> None:
        """This account's next turn in its one request schedule (core/pace.py), and room in
        this process's last second (`PerSecond`)."""
        await asyncio.sleep(
            await take_turn(self.schedule, 1 / SESSIONS_PER_SECOND, time.time()) or 0.0
        )
        await self.sent.admitted()


def snapshot(sub: Mapping[str, Any], read_at: datetime) -> Snapshot:
    """A Stripe subscription as the core's snapshot. Its billing period is on its items
    since API version 2025-03-31 (on the subscription before)."""
    items = (sub.get("items") or {}).get("data") or [{}]
    start = items[0].get("current_period_start") or sub.get("current_period_start")
    end = items[0].get("current_period_end") or sub.get("current_period_end")
    paused = sub.get("pause_collection")
    details = sub.get("cancellation_details") or {}
    return Snapshot(
        status=str(sub.get("status")),
        as_of=read_at,
        started_at=_moment(sub.get("start_date") or sub.get("created")) or read_at,
        current_period_start=_moment(start),
        current_period_end=_moment(end),
        cancel_at_period_end=bool(sub.get("cancel_at_period_end")),
        trial_end=_moment(sub.get("trial_end")),
        pause=Pause(_moment(paused.get("resumes_at"))) if isinstance(paused, Mapping) else None,
        ended_at=_moment(sub.get("ended_at")),
        cancel_reason=str(details.get("reason") or "")[:64],
    )


def _paid_intent(invoice: Mapping[str, Any] | None) -> tuple[str, Money] | None:
    """The PaymentIntent that paid the invoice and the amount paid, if it took money (a
    trial's invoice took none). Its payments are listed under `payments` since API version
    2025-03-31 (the invoice's `payment_intent` before)."""
    if not invoice or not invoice.get("amount_paid"):
        return None
    payments = (invoice.get("payments") or {}).get("data") or []
    intents = [
        (p.get("payment") or {}).get("payment_intent")
        for p in payments
        if p.get("status") == "paid"
    ]
    intent = next((i for i in intents if isinstance(i, str)), invoice.get("payment_intent"))
    if not isinstance(intent, str) or not intent:
        return None
    return intent, from_stripe(int(invoice["amount_paid"]), str(invoice["currency"]))


def billed(sub: Mapping[str, Any], read_at: datetime) -> BilledSubscription:
    """A Stripe subscription, with the fan and plan its metadata names (if ours)."""
    metadata = sub.get("metadata") or {}
    items = (sub.get("items") or {}).get("data") or []
    price = (items[0].get("price") or {}) if len(items) == 1 else {}
    return BilledSubscription(
        ref=str(sub["id"]),
        fan_id=_number(metadata.get("fan_id")),
        plan_id=_number(metadata.get("plan_id")),
        snapshot=snapshot(sub, read_at),
        price_ref=price.get("id") if isinstance(price, Mapping) else None,
    )


def listed(sub: Mapping[str, Any], read_at: datetime) -> ListedSubscription:
    """A listed subscription and what it charges: a price only when it is one licensed price
    at quantity 1, a period only for every one month or year (a plan's)."""
    items = (sub.get("items") or {}).get("data") or []
    price = (items[0].get("price") or {}) if items else {}
    recurring = price.get("recurring") or {}
    one = (
        len(items) == 1
        and items[0].get("quantity") == 1
        and recurring.get("usage_type", "licensed") == "licensed"
        and isinstance(price.get("unit_amount"), int)
    )
    amount = None
    if one:
        try:
            amount = from_stripe(price["unit_amount"], str(price.get("currency")))
        except InvalidInput:
            amount = None
    period = next(
        (p.value for p, every in INTERVALS.items() if every == recurring.get("interval")), None
    )
    customer = sub.get("customer")
    email = customer.get("email") if isinstance(customer, Mapping) else None
    return ListedSubscription(
        billed=billed(sub, read_at),
        price_ref=str(price.get("id") or ""),
        price=amount,
        period=period if recurring.get("interval_count") == 1 else None,
        customer_email=str(email) if email else None,
    )


def _moment(stamp: Any) -> datetime | None:
    return datetime.fromtimestamp(stamp, UTC) if isinstance(stamp, int) else None


def _number(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() else None
