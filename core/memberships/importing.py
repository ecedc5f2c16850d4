"""Moving in without re-billing (`dropcast plan import`): the provider's subscriptions that
still bill and that Dropcast does not know yet, each matched to a plan and given a one-time
code its subscriber claims it with (core/memberships/claiming.py). Nothing is charged or
changed at the provider: a subscription keeps its own price and billing period.

A subscription matches the plan whose provider price it is on, else the one plan on sale
with the same price and period; a plan named by the creator takes them all. One that
matches none, or several, is listed with the reason and left alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError

from core.kinds import PlanPeriod, SubscriptionProvider
from core.memberships.joining import plan_id_of
from core.models import Membership, MembershipPlan, SubscriptionClaim
from core.money import Money
from core.ports import Clock, ListedSubscription, MembershipBilling
from core.tokens import digest, new_token

CLAIM_VALID = timedelta(days=30)  # time for the creator's message to reach each subscriber
# 128 random bits, 22 characters: short enough for a Telegram deep link (64 at most)
CODE_BYTES = 16


@dataclass(frozen=True, slots=True)
class Imported:
    """One subscription found. `code` is the claim's one-time code (shown once: only its
    digest is kept), None in a dry run or when no plan matched (`why_not` says why)."""

    subscription_ref: str
    customer_email: str | None
    price: Money | None  # what it charges each period, kept as it is
    period: str | None
    status: str
    paid_through: datetime | None
    plan_id: int | None
    plan_name: str | None
    why_not: str
    code: str | None


class Importing:
    def __init__(self, clock: Clock, billing: MembershipBilling) -> None:
        self.clock = clock
        self.billing = billing

    async def run(self, plan: str | int | None = None, *, dry_run: bool = False) -> list[Imported]:
        """The subscriptions to move in, newest first, each matched to a plan (`plan`, named
        or by id, for all of them) and, unless `dry_run`, given a claim code; a code given
        before for the same subscription stops working."""
        forced = None
        if plan is not None:
            forced = await MembershipPlan.get(id=await plan_id_of(plan))
        on_sale = await MembershipPlan.filter(archived_at__isnull=True).order_by("id")
        listed = await self.billing.billing_subscriptions()
        refs = [sub.billed.ref for sub in listed]
        members = Membership.filter(provider=SubscriptionProvider.STRIPE, subscription_ref__in=refs)
        known = {str(ref) for ref in await members.values_list("subscription_ref", flat=True)}
        found = []
        for sub in listed:
            if sub.billed.ref in known or sub.billed.fan_id is not None:
                continue  # a member's already, or started through Dropcast (its events tell)
            matched, why_not = (forced, "") if forced else match(sub, on_sale)
            code = None
            if matched is not None and not dry_run:
                code = await self._issue(sub.billed.ref, matched.id)
                why_not = "" if code else "claimed already; waiting for the subscriber"
            found.append(_imported(sub, matched, why_not, code))
        return found

    async def _issue(self, subscription_ref: str, plan_id: int) -> str | None:
        """A fresh code for the subscription's claim; None if it was claimed already."""
        code, now = new_token(CODE_BYTES), self.clock.now()
        values: dict[str, Any] = {"digest": digest(code), "plan_id": plan_id, "created_at": now,
                  "expires_at": now + CLAIM_VALID}  # fmt: skip
        unclaimed = SubscriptionClaim.filter(
            subscription_ref=subscription_ref, used_at__isnull=True
        )
        if await unclaimed.update(**values):
            return code
        try:
            await SubscriptionClaim.create(subscription_ref=subscription_ref, **values)
        except IntegrityError:  # its subscriber claimed it
            return None
        return code


def match(
    sub: ListedSubscription, plans: Sequence[MembershipPlan]
) -> tuple[MembershipPlan | None, str]:
    """The plan the subscription belongs to, or None and why not."""
    for plan in plans:
        if sub.price_ref and plan.stripe_price_ref == sub.price_ref:
            return plan, ""
    if sub.price is None or sub.period is None:
        return None, "not one monthly or yearly price: name its plan with --plan"
    same = [
        plan
        for plan in plans
        if Money(plan.price_minor, plan.currency) == sub.price
        and PlanPeriod(plan.period) == sub.period
    ]
    if len(same) == 1:
        return same[0], ""
    every = f"{sub.price} / {sub.period}"
    if not same:
        return None, f"no plan on sale at {every}: create one, or name one with --plan"
    return None, f"{len(same)} plans on sale at {every}: name one with --plan"


def _imported(
    sub: ListedSubscription, plan: MembershipPlan | None, why_not: str, code: str | None
) -> Imported:
    snapshot = sub.billed.snapshot
    return Imported(
        subscription_ref=sub.billed.ref,
        customer_email=sub.customer_email,
        price=sub.price,
        period=sub.period,
        status=str(snapshot.status),
        paid_through=snapshot.current_period_end,
        plan_id=None if plan is None else plan.id,
        plan_name=None if plan is None else plan.name,
        why_not=why_not,
        code=code,
    )
