"""What a port gets in production when its adapter's setting is missing: a refusal naming
the setting, never an in-process stand-in (invariant 9, docs/architecture.md). Pay links are
refused to the fan, refunds wait as `refund_pending`, messages and posts fail loudly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.memberships.star_charges import StarsCharge, StarsInvoice
from core.messages import (
    CreatorNote,
    DropAnnouncement,
    FanMessage,
    HoldForPayment,
    LiveAnnouncement,
    PayLink,
    ShoutOut,
)
from core.money import Money
from core.ports import (
    BilledPlan,
    BilledSubscription,
    JoinLink,
    ListedSubscription,
    NotConfigured,
)

PLATFORM_TOKEN = "TELEGRAM_TOKEN or DISCORD_TOKEN"


@dataclass(frozen=True, slots=True)
class UnconfiguredPayLinks:
    setting: str

    async def create(self, hold: HoldForPayment) -> PayLink:
        raise NotConfigured(self.setting)

    async def cancel(self, provider_ref: str) -> None:
        raise NotConfigured(self.setting)


@dataclass(frozen=True, slots=True)
class UnconfiguredRefunds:
    setting: str

    async def refund(self, payment_id: str, amount: Money, reason: str) -> None:
        raise NotConfigured(self.setting)


@dataclass(frozen=True, slots=True)
class UnconfiguredPlatform:
    """The announcer, the fans' messenger and the creator's desk with no platform token."""

    setting: str = PLATFORM_TOKEN

    async def announce(self, community_id: int, announcement: DropAnnouncement) -> None:
        raise NotConfigured(self.setting)

    async def announce_live(self, community_id: int, announcement: LiveAnnouncement) -> None:
        raise NotConfigured(self.setting)

    async def shout_out(self, community_id: int, shout_out: ShoutOut) -> None:
        raise NotConfigured(self.setting)

    async def send(self, fan_id: int, message: FanMessage) -> bool:
        raise NotConfigured(self.setting)

    async def drop_url(self, drop_id: int) -> str | None:
        return None  # no platform, so nowhere to open the drop

    async def tell(self, note: CreatorNote) -> bool:
        raise NotConfigured(self.setting)


@dataclass(frozen=True, slots=True)
class UnconfiguredMembershipBilling:
    """Memberships with no Stripe key: joining, the portal and reading a subscription are
    refused naming the setting."""

    setting: str

    async def join_link(self, plan: BilledPlan, fan_id: int) -> JoinLink:
        raise NotConfigured(self.setting)

    async def portal_link(self, subscription_ref: str) -> str:
        raise NotConfigured(self.setting)

    async def subscription(
        self, subscription_ref: str, since: datetime | None = None
    ) -> BilledSubscription:
        raise NotConfigured(self.setting)

    async def cancel_and_refund(
        self, subscription_ref: str, reason: str, refund: bool = True
    ) -> None:
        raise NotConfigured(self.setting)

    async def subscription_of_payment(self, payment_id: str) -> str | None:
        raise NotConfigured(self.setting)

    async def billing_subscriptions(self) -> list[ListedSubscription]:
        raise NotConfigured(self.setting)

    async def assign(self, subscription_ref: str, fan_id: int, plan_id: int) -> BilledSubscription:
        raise NotConfigured(self.setting)


@dataclass(frozen=True, slots=True)
class UnconfiguredStarSubscriptions:
    """Stars memberships with no Telegram bot: refused naming the setting."""

    setting: str = "TELEGRAM_TOKEN"

    async def invoice_link(self, invoice: StarsInvoice) -> str:
        raise NotConfigured(self.setting)

    async def edit(self, user_ref: str, charge_id: str, cancelled: bool) -> None:
        raise NotConfigured(self.setting)

    async def refund(self, user_ref: str, charge_id: str) -> None:
        raise NotConfigured(self.setting)

    async def charges(self, since: datetime) -> list[StarsCharge]:
        raise NotConfigured(self.setting)
