"""A fan joins a plan through a billing provider, and manages it there.

`join` gives the fan the provider's page to subscribe on; the membership itself is made only
when the provider reports the subscription: `refresh` re-reads it from the provider and
records what it says (core/memberships/members.py `Memberships.record`), so it does not
matter in which order, or how often, the provider's events arrive."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from core.errors import AlreadyMember, InvalidState, NotFound, ProviderUnreachable
from core.events import MemberTrialEnding
from core.fans import FanRef, fan_for, fan_id_of
from core.kinds import MemberState, PlanPeriod, SubscriptionProvider
from core.memberships.members import Memberships, MembershipView
from core.memberships.plans import Plans, list_plans, plan_view
from core.memberships.refusals import Refusals
from core.memberships.standing import FanMembership, memberships_of
from core.models import Membership, MembershipPlan
from core.models.memberships import LIVE
from core.ports import BilledPlan, MembershipBilling


class Joining:
    def __init__(self, plans: Plans, memberships: Memberships, billing: MembershipBilling) -> None:
        self.plans = plans
        self.memberships = memberships
        self.billing = billing
        self.refusals = Refusals(memberships.clock, memberships.bus, billing)

    async def join(self, plan: str | int, fan: FanRef) -> str:
        """The link where the fan subscribes to the plan (named, or by id)."""
        return await self.join_fan(plan, await fan_id_of(fan))

    async def join_fan(self, plan: str | int, fan_id: int) -> str:
        """`join` for a fan known by id (their own tracked join link, tapped)."""
        plan_id = await plan_id_of(plan)
        on_sale = await self.plans.for_sale(plan_id)
        held = await Membership.get_or_none(fan_id=fan_id, plan_id=plan_id, live=LIVE)
        if held is not None:
            raise AlreadyMember(
                f"you are already a member of {on_sale.name!r}: change your card or cancel"
                " through your membership's portal link instead",
                await self._portal_or_none(held),
            )
        row = await MembershipPlan.get(id=plan_id)
        link = await self.billing.join_link(
            BilledPlan(
                plan_id=plan_id,
                name=on_sale.name,
                price=on_sale.price,
                period=PlanPeriod(on_sale.period).value,
                trial_days=on_sale.trial_days,
                price_ref=row.stripe_price_ref,
            ),
            fan_id,
        )
        if row.stripe_price_ref is None:  # the first join made the price: keep it
            await MembershipPlan.filter(id=plan_id, stripe_price_ref__isnull=True).update(
                stripe_price_ref=link.price_ref
            )
        return link.url

    async def portal(self, fan: FanRef) -> str:
        """Where the fan manages their membership (card, cancelling) at the provider."""
        fan_id = await fan_for(fan.platform, fan.user_ref, fan.display_name)
        found = (
            await Membership.filter(fan_id=fan_id, provider=SubscriptionProvider.STRIPE)
            .order_by("-live", "-started_at", "-id")
            .first()
        )
        if found is None:
            raise NotFound("you have no membership yet: join a plan first")
        return await self.billing.portal_link(found.subscription_ref)

    async def refresh(
        self, subscription_ref: str, since: datetime | None = None
    ) -> MembershipView | None:
        """Record the subscription as the provider has it in a read made after `since` (an
        event's arrival: such a read reflects it), or now; None if it is not ours."""
        billed = await self.billing.subscription(subscription_ref, since)
        if billed.fan_id is None or billed.plan_id is None:
            return None
        stripe = SubscriptionProvider.STRIPE
        plan_id = await _plan_priced(billed.price_ref) or billed.plan_id  # a switch moves it
        if await self.refusals.refuses(billed, billed.fan_id, plan_id, stripe):
            return None  # a duplicate, or a forgotten fan's: undone, never recorded
        try:
            return await self.memberships.record(
                billed.fan_id, plan_id, stripe, billed.ref, billed.snapshot
            )
        except InvalidState:  # the fan's other subscription was recorded meanwhile
            if await self.refusals.refuses(billed, billed.fan_id, plan_id, stripe):
                return None
            raise

    async def trial_ending(
        self, subscription_ref: str, since: datetime | None = None
    ) -> MembershipView | None:
        """The provider warned that the subscription's trial ends soon: recorded as it is
        now, and the member told when the first payment comes (once per warning: the inbox
        keeps each provider event once)."""
        member = await self.refresh(subscription_ref, since)
        if member is None or member.state != MemberState.TRIALING or member.trial_end is None:
            return member
        async with self.memberships.bus.transaction() as changes:
            changes.add(
                MemberTrialEnding(
                    self.memberships.clock.now(),
                    membership_id=member.id,
                    fan_id=member.fan_id,
                    plan_id=member.plan_id,
                    trial_end=member.trial_end,
                )
            )
        return member

    async def standing(self, fan: FanRef) -> list[FanMembership]:
        """`/membership`: the fan's unended memberships, each with its portal link."""
        fan_id = await fan_id_of(fan)
        return [
            replace(held, portal_url=await self._portal_or_none(row))
            for held, row in await memberships_of(fan_id)
        ]

    async def _portal_or_none(self, membership: Membership) -> str | None:
        """The member's portal link at Stripe; None for another provider's membership, or
        while Stripe is out of reach (the fan is still answered)."""
        if membership.provider != SubscriptionProvider.STRIPE:
            return None
        try:
            return await self.billing.portal_link(membership.subscription_ref)
        except ProviderUnreachable:
            return None


async def plan_id_of(plan: str | int) -> int:
    """The plan named (any case; one on sale first) or given by id; NotFound if none."""
    if isinstance(plan, int) or (isinstance(plan, str) and plan.strip().isdigit()):
        return (await plan_view(int(plan))).id
    key = " ".join(str(plan).split()).casefold()
    for view in await list_plans(archived=False):
        if view.name.casefold() == key:
            return view.id
    archived = [view for view in await list_plans() if view.name.casefold() == key]
    if archived:
        return archived[-1].id  # for_sale says it is no longer offered
    raise NotFound(f"there is no plan called {plan!r}")


async def _plan_priced(price_ref: str | None) -> int | None:
    """The plan sold at the provider's price, if one is (a plan switch in the portal)."""
    if not price_ref:
        return None
    plan = await MembershipPlan.get_or_none(stripe_price_ref=price_ref)
    return plan.id if plan else None
