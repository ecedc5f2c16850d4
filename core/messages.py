"""Typed outbound messages: what the core wants said, for each platform adapter to render."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from core.drops.copy import Pitch
from core.money import Money


@dataclass(frozen=True, slots=True)
class TierLine:
    tier_id: int
    name: str
    price: Money
    available: int
    member_price: Money | None = None  # what members pay instead
    members_only: bool = False


@dataclass(frozen=True, slots=True)
class DropAnnouncement:
    """A drop's public post; `status` tells the adapter which state to show (and edit to)."""

    drop_id: int
    code: str  # the drop's public code, for deep links such as t.me/<bot>?start=drop_<code>
    title: str
    status: str
    opens_at: datetime | None
    tiers: tuple[TierLine, ...]
    members_only: bool = False  # only members may buy any of its tiers
    members_early_minutes: int = 0  # members of a plan may buy up to this long before opens_at


@dataclass(frozen=True, slots=True)
class LiveAnnouncement:
    """A live session's public post: its countdown, then *Live now* with the drop it
    features (if any), then that it ended or was called off."""

    session_id: int
    title: str
    status: str
    starts_at: datetime
    minutes: int
    drop: DropAnnouncement | None
    voice_channel_ref: str | None = None  # where it is on air (Discord), once live


@dataclass(frozen=True, slots=True)
class ShoutOut:
    """A fan reached a recognition tier, said in the community (unless they opted out)."""

    fan_name: str
    tier: str
    token: str | None = None  # or they redeemed this shout-out token ("Night owls #3")


@dataclass(frozen=True, slots=True)
class PayLinkOffer:
    """A hold is waiting for the fan's payment at `url` until `expires_at`."""

    hold_id: int
    title: str
    tier_name: str
    price: Money
    url: str
    expires_at: datetime
    from_waitlist: bool
    pitch: Pitch = field(default_factory=Pitch)


@dataclass(frozen=True, slots=True)
class HoldLapsed:
    hold_id: int
    title: str
    tier_name: str


@dataclass(frozen=True, slots=True)
class HoldCalledOff:
    """The creator cancelled the drop while the fan held a unit; nothing was charged."""

    hold_id: int
    title: str
    tier_name: str


@dataclass(frozen=True, slots=True)
class PaymentUnderReview:
    """The fan paid `amount` where the price is `price`: the creator settles it by hand."""

    title: str
    amount: Money
    price: Money


@dataclass(frozen=True, slots=True)
class PaymentReturned:
    title: str
    amount: Money
    reason: str


@dataclass(frozen=True, slots=True)
class Pickup:
    """Where and when a pickup order is collected, and its pass: the page whose QR code
    staff scan (core/popups/passes.py)."""

    place: str
    starts_at: datetime
    ends_at: datetime
    pass_link: str
    zone: str = "UTC"  # the pop-up's clock (core/popups/places.py `window`)


@dataclass(frozen=True, slots=True)
class OrderConfirmed:
    """`delivery` is what a digital buyer receives (a link or a code); None for goods
    that are shipped. `pickup` says where a pickup order is collected."""

    order_id: int
    title: str
    tier_name: str
    amount: Money
    delivery: str | None = None
    pickup: Pickup | None = None


@dataclass(frozen=True, slots=True)
class PickupMissed:
    """The fan's pop-up ended and they did not collect: the creator ships or refunds."""

    order_id: int
    title: str
    place: str


@dataclass(frozen=True, slots=True)
class OrderShipped:
    order_id: int
    title: str
    tier_name: str


@dataclass(frozen=True, slots=True)
class PaymentNotCompleted:
    """The fan's payment failed; `still_held` says whether they can try again in time."""

    hold_id: int
    title: str
    tier_name: str
    still_held: bool


@dataclass(frozen=True, slots=True)
class PerkGranted:
    """A purchase gave the fan a perk; `access` is how they use it (their own invite link),
    or empty where it simply appears (a role)."""

    title: str
    access: str


@dataclass(frozen=True, slots=True)
class PerkTakenBack:
    title: str


@dataclass(frozen=True, slots=True)
class LiveReminder:
    """To a fan who said they would be there: `stage` is "day", "soon" or "now"."""

    session_id: int
    title: str
    starts_at: datetime
    stage: str


@dataclass(frozen=True, slots=True)
class CampaignDM:
    """A campaign's message, filled in for one fan; `url` is their own tracked link. Every
    one carries a way to say no more."""

    delivery_id: int
    text: str
    url: str | None


@dataclass(frozen=True, slots=True)
class MemberPaymentFailed:
    """A membership's renewal failed: access lasts until `grace_until` while the card is
    retried; `portal_url` is where the member updates it (None: use /membership)."""

    plan: str
    grace_until: datetime | None
    portal_url: str | None


@dataclass(frozen=True, slots=True)
class MemberTrialEnds:
    """A member's free trial ends at `trial_end`, and the first payment is taken then."""

    plan: str
    trial_end: datetime
    portal_url: str | None


@dataclass(frozen=True, slots=True)
class MembershipCancelling:
    """The member cancelled at the period's end: access lasts until `access_until`."""

    plan: str
    access_until: datetime | None
    portal_url: str | None


@dataclass(frozen=True, slots=True)
class MembershipOver:
    """A membership ended (`lapsed`: its payments gave up): how to join again."""

    plan: str
    lapsed: bool


@dataclass(frozen=True, slots=True)
class SecondSubscriptionRefunded:
    """The fan subscribed to a plan they already hold: the second subscription was
    cancelled and its payment refunded; the first is kept (managed at `portal_url`)."""

    plan: str
    portal_url: str | None


@dataclass(frozen=True, slots=True)
class TokenReceived:
    """A perk token is the fan's now (`gifted`: another fan gave it): what it gives, until
    when it can be redeemed, and its code."""

    name: str  # the set's name and the token's number, "Night owls #3"
    perk: str  # what redeeming gives, in words (core/perk_tokens/words.py)
    expires_at: datetime
    code: str
    gifted: bool


FanMessage = (
    TokenReceived
    | PayLinkOffer
    | HoldLapsed
    | HoldCalledOff
    | PaymentUnderReview
    | PaymentReturned
    | OrderConfirmed
    | OrderShipped
    | PickupMissed
    | PaymentNotCompleted
    | PerkGranted
    | PerkTakenBack
    | LiveReminder
    | CampaignDM
    | MemberPaymentFailed
    | MemberTrialEnds
    | MembershipCancelling
    | MembershipOver
    | SecondSubscriptionRefunded
)


@dataclass(frozen=True, slots=True)
class LateStart:
    """To the creator: a session's start time came and it is not live yet."""

    session_id: int
    title: str
    starts_at: datetime


@dataclass(frozen=True, slots=True)
class AccessReportNote:
    """To the creator: the day's access report found mismatches. `lines` are the first of
    them, in words; `total` counts them all."""

    day: str
    lines: tuple[str, ...]
    total: int


CreatorNote = LateStart | AccessReportNote


@dataclass(frozen=True, slots=True)
class PayLink:
    url: str
    provider_ref: str


@dataclass(frozen=True, slots=True)
class HoldForPayment:
    """What a payment provider needs to take money for one hold."""

    hold_id: int
    fan_id: int
    title: str
    tier_name: str
    kind: str
    price: Money
    expires_at: datetime
    pickup: str | None = None  # where and when the fan picks it up; None: it ships


@dataclass(frozen=True, slots=True)
class PerkRef:
    """What a platform adapter needs to give or take one perk (see `core.models.Perk`)."""

    perk_id: int
    title: str
    platform: str
    place_ref: str
    ref: str
