"""The names of states and kinds (a drop's status, a platform, a payment provider, …): the
core's tables store them and the adapters read and render them, so they live here, apart
from the tables (docs/architecture.md: adapters ask the core, never its tables)."""

from __future__ import annotations

from enum import StrEnum


class CampaignStatus(StrEnum):
    SCHEDULED = "scheduled"  # waiting for its time (or for its session to end)
    QUEUED = "queued"  # its deliveries are in the outbox
    CANCELLED = "cancelled"


class Automatic(StrEnum):
    """Campaigns the creator switches on once; each fan who qualifies gets one DM."""

    ABANDONED_HOLD = "abandoned_hold"  # let a hold lapse while units remain
    NEAR_TIER = "near_tier"  # a few points from the next tier


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class DropStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    SOLD_OUT = "sold_out"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class TierKind(StrEnum):
    DIGITAL = "digital"
    PHYSICAL = "physical"
    BUNDLE = "bundle"


class HoldStatus(StrEnum):
    HELD = "held"
    PAID = "paid"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"  # was paid; the money went back


class WaitlistStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"


class FanTier(StrEnum):
    """Recognition tiers, lowest first; the order is what early access compares."""

    FAN = "fan"
    SUPPORTER = "supporter"
    INSIDER = "insider"
    INNER_CIRCLE = "inner_circle"

    @property
    def rank(self) -> int:
        return list(FanTier).index(self)


class Platform(StrEnum):
    DISCORD = "discord"
    TELEGRAM = "telegram"
    SANDBOX = "sandbox"


class LiveStatus(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"


class NoticeStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class PaymentProvider(StrEnum):
    """Who took the money; refunds go back through the same one."""

    STRIPE = "stripe"
    TELEGRAM_STARS = "telegram_stars"
    SANDBOX = "sandbox"  # the offline rehearsal's simulated payments


class OrderStatus(StrEnum):
    PAID = "paid"
    FLAGGED = "flagged"  # the amount paid is not the price: the creator decides
    REFUND_PENDING = "refund_pending"
    REFUNDED = "refunded"
    DISPUTED = "disputed"


class PerkGrantStatus(StrEnum):
    GRANTED = "granted"
    REVOKED = "revoked"


class PlanPeriod(StrEnum):
    """How often a membership plan's price is charged (Telegram Stars: every 30 days)."""

    MONTHLY = "monthly"
    YEARLY = "yearly"


class SubscriptionProvider(StrEnum):
    """Who runs a membership's recurring payments."""

    STRIPE = "stripe"
    TELEGRAM_STARS = "telegram_stars"


class MemberState(StrEnum):
    """What a membership's latest subscription snapshot means for the fan
    (core/memberships/states.py says which grants access, and until when)."""

    TRIALING = "trialing"  # a free trial, access until it ends
    ACTIVE = "active"  # paid up, renewing
    PAST_DUE = "past_due"  # a renewal failed; access kept until the grace period ends
    LAPSED = "lapsed"  # not paid up (retries gave up, or the first payment is pending)
    CANCELLED_AT_PERIOD_END = "cancelled_at_period_end"  # access until the period ends
    PAUSED = "paused"  # payments paused: no access until they resume
    ENDED = "ended"  # over for good
