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
from typing import Any

from adapters.stripe.amounts import to_stripe_charge
from adapters.stripe.checkout import SESSIONS_PER_SECOND, StripeApi, request_key
from core.kinds import PlanPeriod
from core.memberships.states import Pause, Snapshot
from core.pace import take_turn
from core.ports import BilledPlan, BilledSubscription, Clock, JoinLink

INTERVALS = {PlanPeriod.MONTHLY: "month", PlanPeriod.YEARLY: "year"}


class StripeMembershipBilling:
    def __init__(self, api: StripeApi, clock: Clock, public_base_url: str) -> None:
        self.client = api.client
        self.schedule = api.schedule
        self.clock = clock
        self.base_url = public_base_url.rstrip("/")

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

    async def subscription(self, subscription_ref: str) -> BilledSubscription:
        sub = (await self.client.v1.subscriptions.retrieve_async(subscription_ref)).to_dict()
        metadata = sub.get("metadata") or {}
        return BilledSubscription(
            ref=str(sub["id"]),
            fan_id=_number(metadata.get("fan_id")),
            plan_id=_number(metadata.get("plan_id")),
            snapshot=snapshot(sub, self.clock.now()),
        )

    async def _turn(self) -> None:
        """This account's next turn in its one request schedule (core/pace.py)."""
        await asyncio.sleep(
            await take_turn(self.schedule, 1 / SESSIONS_PER_SECOND, time.time()) or 0.0
        )


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


def _moment(stamp: Any) -> datetime | None:
    return datetime.fromtimestamp(stamp, UTC) if isinstance(stamp, int) else None


def _number(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() else None
