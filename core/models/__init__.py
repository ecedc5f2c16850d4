"""The tortoise models of the `models` app; every module here is one part of the schema."""

from core.kinds import (
    Automatic,
    CampaignStatus,
    DeliveryStatus,
    DropStatus,
    FanTier,
    HoldStatus,
    LiveStatus,
    MemberState,
    NoticeStatus,
    OrderStatus,
    PaymentProvider,
    PerkGrantStatus,
    PlanPeriod,
    Platform,
    SubscriptionProvider,
    TierKind,
    WaitlistStatus,
)
from core.models.analytics import RollupPart, RollupStale, RollupTotal, StaleFan
from core.models.campaigns import Campaign, CampaignVariant, Delivery
from core.models.communities import Community, Post
from core.models.dashboard import DashboardKey
from core.models.drops import Drop, DropTier, Reservation, WaitlistEntry
from core.models.fans import ConsentRecord, Fan, LinkCode, PlatformAccount
from core.models.inbox import ProviderEvent
from core.models.links import Link, LinkClick
from core.models.live import Attendance, LiveCode, LiveSession, Rsvp
from core.models.memberships import Membership, MembershipPlan
from core.models.notices import Notice, Worker
from core.models.offer_taps import OfferTap
from core.models.orders import LedgerEntry, Order
from core.models.pace import SendPace
from core.models.perk_tokens import PerkToken, PerkTokenSet, TokenPerk
from core.models.perks import AccessReportDay, Perk, PerkChange, PerkGrant
from core.models.popups import PickupPass, PopUp
from core.models.signing import SigningKey
from core.models.subscription_claims import SubscriptionClaim
from core.models.telegram_forms import TelegramForm
from core.models.web_buyers import WebHold

__all__ = [
    "AccessReportDay",
    "Attendance",
    "Automatic",
    "Campaign",
    "CampaignStatus",
    "CampaignVariant",
    "Community",
    "ConsentRecord",
    "DashboardKey",
    "Delivery",
    "DeliveryStatus",
    "Drop",
    "DropStatus",
    "DropTier",
    "Fan",
    "FanTier",
    "HoldStatus",
    "LedgerEntry",
    "Link",
    "LinkClick",
    "LinkCode",
    "LiveCode",
    "LiveSession",
    "LiveStatus",
    "MemberState",
    "Membership",
    "MembershipPlan",
    "Notice",
    "NoticeStatus",
    "OfferTap",
    "Order",
    "OrderStatus",
    "PaymentProvider",
    "Perk",
    "PerkChange",
    "PerkGrant",
    "PerkGrantStatus",
    "PerkToken",
    "PerkTokenSet",
    "PickupPass",
    "PlanPeriod",
    "Platform",
    "PlatformAccount",
    "PopUp",
    "Post",
    "ProviderEvent",
    "Reservation",
    "RollupPart",
    "RollupStale",
    "RollupTotal",
    "Rsvp",
    "SendPace",
    "SigningKey",
    "StaleFan",
    "SubscriptionClaim",
    "SubscriptionProvider",
    "TelegramForm",
    "TierKind",
    "TokenPerk",
    "WaitlistEntry",
    "WaitlistStatus",
    "WebHold",
    "Worker",
]
