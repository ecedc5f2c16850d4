"""Subscriptions Dropcast will not keep, and undoing them at the provider.

Two Checkout pages opened side by side can both be paid: the second subscription would bill
a fan twice for one plan, and the database refuses a second unended membership of a plan
(core/memberships/members.py). A fan who asked to be forgotten (core/privacy.py) may still
have a subscription that renews. Neither may be stored with the fan's identity, nor left
billing: each is refused once, as a `SubscriptionRefused` event written in its own
transaction, whose notices cancel it at the provider and refund its latest payment (retried
while the provider is out of reach, core/notices.py) and, for a duplicate, tell the fan.

Whether a subscription is refused is read from the database and the provider's snapshot
alone, so the same subscription's repeated or reordered events refuse it once (its notice
is looked for before another is written; one subscription's events are handled in turn,
core/inbox.py)."""

from __future__ import annotations

from core.bus import EventBus
from core.events import SubscriptionRefused
from core.kinds import SubscriptionProvider
from core.memberships.states import TERMINAL, ProviderStatus
from core.models import Membership, Notice
from core.models.memberships import LIVE
from core.ports import BilledSubscription, Clock, MembershipBilling
from core.privacy import ERASED, is_forgotten

DUPLICATE = "duplicate"
FORGOTTEN = "forgotten"
CANCEL = "billing.refused"  # the notice that cancels and refunds it
REASONS = {
    DUPLICATE: "a second subscription to a plan the fan already holds",
    FORGOTTEN: "the fan asked to be forgotten",
    ERASED: "the fan asked to be forgotten",
}


def refusal_key(event: SubscriptionRefused) -> str:
    """Orders a refused subscription's notices: cancelled and refunded, then the fan told."""
    return f"subscription:{event.provider}:{event.subscription_ref}"


class Refusals:
    def __init__(self, clock: Clock, bus: EventBus, billing: MembershipBilling) -> None:
        self.clock = clock
        self.bus = bus
        self.billing = billing

    async def refuses(
        self, billed: BilledSubscription, fan_id: int, plan_id: int, provider: SubscriptionProvider
    ) -> bool:
        """Whether the subscription, started for `fan_id` and `plan_id`, must not be
        recorded; refuses it the first time. A forgotten fan's membership already recorded
        still records its end, which adds nothing about them."""
        known = await Membership.exists(provider=provider, subscription_ref=billed.ref)
        reason = await _reason(billed.ref, fan_id, plan_id, provider, known)
        if reason is None:
            return False
        if ProviderStatus(billed.snapshot.checked().status) in TERMINAL:
            return not known  # ended at the provider already: nothing left to undo
        refused = SubscriptionRefused(
            self.clock.now(),
            provider=provider.value,
            subscription_ref=billed.ref,
            plan_id=plan_id,
            fan_id=None if reason == FORGOTTEN else fan_id,
            reason=reason,
        )
        if not await Notice.exists(subscriber=CANCEL, key=refusal_key(refused)):
            async with self.bus.transaction() as changes:
                changes.add(refused)
        return True

    async def cancel(self, event: SubscriptionRefused) -> None:
        """The refused subscription's notice: cancelled at the provider and refunded (but
        not the period a fan forgotten just now had paid for)."""
        await self.billing.cancel_and_refund(
            event.subscription_ref, REASONS[event.reason], refund=event.reason != ERASED
        )


async def _reason(
    ref: str, fan_id: int, plan_id: int, provider: SubscriptionProvider, known: bool
) -> str | None:
    if await is_forgotten(fan_id):
        return FORGOTTEN
    if known:
        return None
    held = await Membership.filter(fan_id=fan_id, plan_id=plan_id, live=LIVE).values_list(
        "provider", "subscription_ref"
    )
    if any((SubscriptionProvider(p), r) != (provider, ref) for p, r in held):
        return DUPLICATE
    return None
