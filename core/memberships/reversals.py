"""A membership's payment refunded or disputed at the provider (Stripe's `charge.refunded`
and `charge.dispute.created` of a renewal's payment), handled as a refunded order is
(core/drops/payments.py `reverse`): by the creator's policy, MEMBERSHIP_REFUNDS_END_ACCESS.

A subscription's state is Stripe's, re-read at every event (core/memberships/members.py), and
Stripe leaves a subscription active when one of its payments is refunded. So the policy "a
refund ends access" is carried out at Stripe: the subscription is cancelled now (nothing more
refunded: the money is back already, or in dispute), and Stripe's report of that ends the
membership and takes back its perks, the same way whichever process or event comes first.
With the policy off, the membership is only re-read. A partial refund keeps it, as it keeps
an order. A dispute later won does not revive a cancelled subscription: the fan joins again."""

from __future__ import annotations

from core.bus import EventBus
from core.events import MembershipPaymentReversed
from core.kinds import MemberState
from core.memberships.joining import Joining
from core.memberships.members import MembershipView
from core.ports import Clock, MembershipBilling, NotConfigured


class PaymentReversals:
    def __init__(
        self,
        clock: Clock,
        bus: EventBus,
        billing: MembershipBilling,
        joining: Joining,
        *,
        ends_access: bool,
    ) -> None:
        self.clock = clock
        self.bus = bus
        self.billing = billing
        self.joining = joining
        self.ends_access = ends_access

    async def reversed(self, payment_id: str, *, disputed: bool) -> MembershipView | None:
        """The membership the payment paid for, re-read, its end under way if the policy
        says so; None if the payment was no membership's."""
        try:
            subscription_ref = await self.billing.subscription_of_payment(payment_id)
        except NotConfigured:  # no billing provider set up: it sells no memberships
            return None
        if subscription_ref is None:
            return None
        member = await self.joining.refresh(subscription_ref)
        if member is None or not self.ends_access or member.state == MemberState.ENDED:
            return member
        async with self.bus.transaction() as changes:
            changes.add(
                MembershipPaymentReversed(
                    self.clock.now(),
                    membership_id=member.id,
                    fan_id=member.fan_id,
                    provider=member.provider,
                    subscription_ref=member.subscription_ref,
                    disputed=disputed,
                )
            )
        return member

    async def end(self, event: MembershipPaymentReversed) -> None:
        """The notice: cancelled at the provider, nothing more refunded."""
        why = "its payment was disputed" if event.disputed else "its payment was refunded"
        await self.billing.cancel_and_refund(event.subscription_ref, why, refund=False)
