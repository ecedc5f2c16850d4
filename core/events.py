"""Domain events: facts the core publishes after they are committed.

Adapters subscribe to the ones they render (announcements, DMs); events carry our ids and
plain values, never ORM rows, so a subscriber cannot change state by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.money import Money


@dataclass(frozen=True, slots=True)
class DomainEvent:
    at: datetime


@dataclass(frozen=True, slots=True)
class DropScheduled(DomainEvent):
    drop_id: int
    title: str
    opens_at: datetime


@dataclass(frozen=True, slots=True)
class DropOpened(DomainEvent):
    drop_id: int
    title: str


@dataclass(frozen=True, slots=True)
class DropAnnounced(DomainEvent):
    """The creator asked for the drop's post, or its countdown moved on: post or edit it."""

    drop_id: int
    title: str


@dataclass(frozen=True, slots=True)
class DropSoldOut(DomainEvent):
    drop_id: int
    title: str


@dataclass(frozen=True, slots=True)
class DropReopened(DomainEvent):
    """A lapsed hold returned a unit that nobody on the waitlist took."""

    drop_id: int
    title: str


@dataclass(frozen=True, slots=True)
class DropClosed(DomainEvent):
    drop_id: int
    title: str


@dataclass(frozen=True, slots=True)
class DropCancelled(DomainEvent):
    drop_id: int
    title: str


@dataclass(frozen=True, slots=True)
class HoldPlaced(DomainEvent):
    hold_id: int
    drop_id: int
    tier_id: int
    title: str
    tier_name: str
    fan_id: int
    expires_at: datetime
    price: Money
    from_waitlist: bool


@dataclass(frozen=True, slots=True)
class HoldExpired(DomainEvent):
    hold_id: int
    drop_id: int
    tier_id: int
    fan_id: int


@dataclass(frozen=True, slots=True)
class HoldCancelled(DomainEvent):
    """The creator called the drop off while this fan held a unit."""

    hold_id: int
    drop_id: int
    tier_id: int
    fan_id: int


@dataclass(frozen=True, slots=True)
class OrderPaid(DomainEvent):
    """`delivery` is what a digital buyer receives; None for goods that ship. `perk_id`
    names the perk the tier grants, if any."""

    order_id: int
    drop_id: int
    tier_id: int
    fan_id: int
    amount: Money
    payment_id: str
    title: str
    tier_name: str
    delivery: str | None
    perk_id: int | None


@dataclass(frozen=True, slots=True)
class PaymentRefunded(DomainEvent):
    """A payment that could not become an order was given back (no unit left, wrong amount)."""

    payment_id: str
    fan_id: int
    tier_id: int
    amount: Money
    reason: str


@dataclass(frozen=True, slots=True)
class OrderReversed(DomainEvent):
    """A paid order was refunded or disputed; what it granted is taken back (invariant 3)."""

    order_id: int
    tier_id: int
    fan_id: int
    amount: Money
    payment_id: str
    status: str  # "refunded" or "disputed"
    reason: str  # why, in words the fan is shown


@dataclass(frozen=True, slots=True)
class OrderRestored(DomainEvent):
    """A disputed order whose dispute the creator won is paid again: what the dispute took
    back is given again (invariant 3)."""

    order_id: int
    fan_id: int


@dataclass(frozen=True, slots=True)
class PaymentFlagged(DomainEvent):
    """A payment whose amount is not the hold's price: kept aside for the creator to settle."""

    order_id: int
    payment_id: str
    fan_id: int
    tier_id: int
    amount: Money
    price: Money


@dataclass(frozen=True, slots=True)
class OrderShipped(DomainEvent):
    order_id: int
    fan_id: int
    title: str
    tier_name: str


@dataclass(frozen=True, slots=True)
class PickupMissed(DomainEvent):
    """A pickup pass's pop-up ended without it being collected (once per pass)."""

    pass_id: int
    order_id: int
    fan_id: int
    title: str
    place: str


@dataclass(frozen=True, slots=True)
class PaymentFailed(DomainEvent):
    """A delayed payment (bank debit, transfer) did not go through; the hold runs its course."""

    hold_id: int
    fan_id: int
    title: str
    tier_name: str
    still_held: bool


@dataclass(frozen=True, slots=True)
class TierChanged(DomainEvent):
    """The fan's points moved them to another recognition tier (up, if `rose`)."""

    fan_id: int
    tier: str
    rose: bool


@dataclass(frozen=True, slots=True)
class MembershipChanged(DomainEvent):
    """A membership's state or access changed (core/memberships/members.py): what it grants
    follows (perks, member prices), and the fan may be told (a card to update). `was` is
    None for a membership just made."""

    membership_id: int
    fan_id: int
    plan_id: int
    state: str
    was: str | None
    access_until: datetime | None
    moved_from_plan: int | None = None  # the member switched from this plan to `plan_id`


@dataclass(frozen=True, slots=True)
class MemberTrialEnding(DomainEvent):
    """The provider says a member's free trial ends soon (Stripe: three days before): the
    member is told when the first payment will be taken."""

    membership_id: int
    fan_id: int
    plan_id: int
    trial_end: datetime


@dataclass(frozen=True, slots=True)
class MembershipPaymentReversed(DomainEvent):
    """A membership's payment was refunded in full or disputed at the provider, and the
    creator's policy (MEMBERSHIP_REFUNDS_END_ACCESS) ends access: the subscription is
    cancelled at the provider, whose report then ends the membership (and its perks)."""

    membership_id: int
    fan_id: int
    provider: str
    subscription_ref: str
    disputed: bool


@dataclass(frozen=True, slots=True)
class SubscriptionRefused(DomainEvent):
    """A subscription Dropcast will not keep (core/memberships/refusals.py): a second one of a
    plan the fan already holds ("duplicate"), one of a fan who asked to be forgotten renewing
    ("forgotten"), or one still billing as its fan is forgotten ("erased"). It is cancelled
    at the provider and its latest payment refunded (not an erased one's: that period was
    theirs); only a duplicate's fan is told (`fan_id` is None otherwise: nobody to tell)."""

    provider: str
    subscription_ref: str
    plan_id: int
    fan_id: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class AccessReportDue(DomainEvent):
    """The day's access report found mismatches (core/memberships/access_report.py): the
    creator's admins are told, once for `day` (an ISO date, UTC)."""

    day: str


@dataclass(frozen=True, slots=True)
class LiveStarted(DomainEvent):
    session_id: int
    title: str
    drop_id: int | None


@dataclass(frozen=True, slots=True)
class LiveEnded(DomainEvent):
    session_id: int
    title: str


@dataclass(frozen=True, slots=True)
class LiveReminderDue(DomainEvent):
    """A fan who signed up is owed a reminder: `stage` is "day", "soon" or "now"."""

    session_id: int
    fan_id: int
    title: str
    starts_at: datetime
    stage: str


@dataclass(frozen=True, slots=True)
class LiveLate(DomainEvent):
    """A session's start time came and it is not live: the creator is owed a nudge."""

    session_id: int
    title: str
    starts_at: datetime


@dataclass(frozen=True, slots=True)
class LiveScheduled(DomainEvent):
    session_id: int
    title: str


@dataclass(frozen=True, slots=True)
class LiveCancelled(DomainEvent):
    session_id: int
    title: str


@dataclass(frozen=True, slots=True)
class TokenGiven(DomainEvent):
    """A perk token reached a fan: minted or drawn for them, or a gift they took (`gifted`)."""

    token_id: int
    fan_id: int
    gifted: bool


@dataclass(frozen=True, slots=True)
class TokenRedeemed(DomainEvent):
    """A fan redeemed a perk token: its perk follows (`kind`, core/models/perk_tokens.py)."""

    token_id: int
    fan_id: int
    kind: str


@dataclass(frozen=True, slots=True)
class TokenWindowMoved(DomainEvent):
    """A redeemed token's window started (`started`) or ended by time: its perk follows."""

    token_id: int
    fan_id: int
    started: bool
