"""The tortoise models of the `models` app; every module here is one part of the schema."""

from core.models.analytics import RollupPart, RollupStale, RollupTotal, StaleFan
from core.models.campaigns import (
    Automatic,
    Campaign,
    CampaignStatus,
    CampaignVariant,
    Delivery,
    DeliveryStatus,
)
from core.models.communities import Community, Post
from core.models.dashboard import DashboardKey
from core.models.drops import (
    Drop,
    DropStatus,
    DropTier,
    HoldStatus,
    Reservation,
    TierKind,
    WaitlistEntry,
    WaitlistStatus,
)
from core.models.fans import ConsentRecord, Fan, FanTier, LinkCode, Platform, PlatformAccount
from core.models.inbox import ProviderEvent
from core.models.links import Link, LinkClick
from core.models.live import Attendance, LiveCode, LiveSession, LiveStatus, Rsvp
from core.models.notices import Notice, NoticeStatus, Worker
from core.models.orders import LedgerEntry, Order, OrderStatus, PaymentProvider
from core.models.pace import SendPace
from core.models.perks import Perk, PerkGrant, PerkGrantStatus
from core.models.telegram_forms import TelegramForm

__all__ = [
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
    "Notice",
    "NoticeStatus",
    "Order",
    "OrderStatus",
    "PaymentProvider",
    "Perk",
    "PerkGrant",
    "PerkGrantStatus",
    "Platform",
    "PlatformAccount",
    "Post",
    "ProviderEvent",
    "Reservation",
    "RollupPart",
    "RollupStale",
    "RollupTotal",
    "Rsvp",
    "SendPace",
    "StaleFan",
    "TelegramForm",
    "TierKind",
    "WaitlistEntry",
    "WaitlistStatus",
    "Worker",
]
