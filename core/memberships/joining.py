"""A fan joins a plan through a billing provider, and manages it there.

`join` gives the fan the provider's page to subscribe on; the membership itself is made only
when the provider reports the subscription: `refresh` re-reads it from the provider and
records what it says (core/memberships/members.py `Memberships.record`), so it does not
matter in which order, or how often, the provider's events arrive."""

from __future__ import annotations

from core.errors import InvalidState, NotFound
from core.fans import FanRef, fan_for
from core.kinds import PlanPeriod, SubscriptionProvider
from core.memberships.members import Memberships, MembershipView
from core.memberships.plans import Plans, list_plans, plan_view
from core.models import Membership, MembershipPlan
from core.models.memberships import LIVE
from core.ports import BilledPlan, MembershipBilling


class Joining:
    def __init__(self, plans: Plans, memberships: Memberships, billing: MembershipBilling) -> None:
        self.plans = plans
        self.memberships = memberships
        self.billing = billing

    async def join(self, plan: str | int, fan: FanRef) -> str:
        """The link where the fan subscribes to the plan (named, or by id)."""
        plan_id = await _plan_id(plan)
        on_sale = await self.plans.for_sale(plan_id)
        fan_id = await fan_for(fan.platform, fan.user_ref, fan.display_name)
        if await Membership.exists(fan_id=fan_id, plan_id=plan_id, live=LIVE):
            raise InvalidState(
                f"you are already a member of {on_sale.name!r}: change your card or cancel"
                " through your membership's portal link instead"
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

    async def refresh(self, subscription_ref: str) -> MembershipView | None:
        """Record the subscription as the provider has it now; None if it is not ours."""
        billed = await self.billing.subscription(subscription_ref)
        if billed.fan_id is None or billed.plan_id is None:
            return None
        return await self.memberships.record(
            billed.fan_id,
            billed.plan_id,
            SubscriptionProvider.STRIPE,
            billed.ref,
            billed.snapshot,
        )


async def _plan_id(plan: str | int) -> int:
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
