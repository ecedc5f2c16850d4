"""What a member is told when their membership changes, as notices of the change
(core/subscriptions.py `subscribe_members`, each a DM sent at most once): a failed renewal
with a one-tap link to update the card and when access ends, a trial about to end, a
cancellation at the period's end, a membership over and how to rejoin, and a second
subscription cancelled and refunded. The portal link is asked for when the message goes
out, so it is fresh; Stripe out of reach leaves the DM queued and retried."""

from __future__ import annotations

from core import messages
from core.events import MembershipChanged, MemberTrialEnding, SubscriptionRefused
from core.kinds import MemberState, SubscriptionProvider
from core.messages import FanMessage
from core.models import Membership, MembershipPlan
from core.models.memberships import LIVE
from core.ports import FanMessenger, MembershipBilling
from core.privacy import is_forgotten

OVER = (MemberState.LAPSED.value, MemberState.ENDED.value)


def owes_news(event: MembershipChanged) -> bool:
    """A change the member hears about: into past due, cancelling, or over; not a
    membership just made (the fan has just subscribed), nor a state it was in already."""
    if event.was is None or event.was == event.state:
        return False
    if event.state in OVER:
        return event.was not in OVER
    return event.state in (MemberState.PAST_DUE, MemberState.CANCELLED_AT_PERIOD_END)


class MemberNews:
    def __init__(self, messenger: FanMessenger, billing: MembershipBilling) -> None:
        self.messenger = messenger
        self.billing = billing

    async def changed(self, event: MembershipChanged) -> None:
        if await is_forgotten(event.fan_id):
            return  # their subscription's end is recorded; there is nobody to tell
        row = await Membership.get(id=event.membership_id).prefetch_related("plan")
        plan = row.plan.name
        stripe = row.provider == SubscriptionProvider.STRIPE
        if event.state == MemberState.CANCELLED_AT_PERIOD_END and not stripe:
            return  # cancelled in the bot chat (Stars), and answered there
        message: FanMessage
        if event.state == MemberState.PAST_DUE:
            message = messages.MemberPaymentFailed(plan, row.grace_until, await self._portal(row))
        elif event.state == MemberState.CANCELLED_AT_PERIOD_END:
            message = messages.MembershipCancelling(plan, row.access_until, await self._portal(row))
        else:
            message = messages.MembershipOver(plan, lapsed=event.state == MemberState.LAPSED)
        await self.messenger.send(event.fan_id, message)

    async def trial_ending(self, event: MemberTrialEnding) -> None:
        row = await Membership.get(id=event.membership_id).prefetch_related("plan")
        message = messages.MemberTrialEnds(row.plan.name, event.trial_end, await self._portal(row))
        await self.messenger.send(event.fan_id, message)

    async def refused(self, event: SubscriptionRefused) -> None:
        """The fan's duplicate was cancelled and refunded: the one they keep is linked."""
        if event.fan_id is None:
            return
        plan = await MembershipPlan.get(id=event.plan_id)
        kept = await Membership.get_or_none(fan_id=event.fan_id, plan_id=event.plan_id, live=LIVE)
        portal = await self._portal(kept) if kept is not None else None
        await self.messenger.send(
            event.fan_id, messages.SecondSubscriptionRefunded(plan.name, portal)
        )

    async def _portal(self, row: Membership) -> str | None:
        if row.provider != SubscriptionProvider.STRIPE:
            return None
        return await self.billing.portal_link(row.subscription_ref)
