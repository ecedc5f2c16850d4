"""What the core needs from the outside world, one Protocol per need.

Adapters implement these for a platform; `adapters/memory` implements all of them in
process for tests and the offline sandbox, which pass them in; a port whose setting is
missing gets `adapters/unconfigured`, which raises `NotConfigured` (invariant 9,
docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.errors import ProviderUnreachable
from core.memberships.star_charges import StarsCharge, StarsInvoice
from core.memberships.states import Snapshot
from core.messages import (
    CreatorNote,
    DropAnnouncement,
    FanMessage,
    HoldForPayment,
    LiveAnnouncement,
    PayLink,
    PerkRef,
    ShoutOut,
)
from core.money import Money


class NotConfigured(ProviderUnreachable):
    """The adapter behind a port has no setting yet; the message names it. An unreachable
    provider too, so what can wait (a refund) stays pending until the setting is set."""

    def __init__(self, setting: str) -> None:
        super().__init__(f"{setting} is not set")
        self.setting = setting


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class Announcer(Protocol):
    async def announce(self, community_id: int, announcement: DropAnnouncement) -> None:
        """Post the announcement, or edit the earlier post of the same drop in place."""
        ...

    async def announce_live(self, community_id: int, announcement: LiveAnnouncement) -> None:
        """The same for a live session's post."""
        ...

    async def shout_out(self, community_id: int, shout_out: ShoutOut) -> None:
        """Congratulate a fan in the community's announcement channel."""
        ...


class FanMessenger(Protocol):
    async def send(self, fan_id: int, message: FanMessage) -> bool:
        """Deliver a direct message; False when the fan cannot be reached."""
        ...

    async def drop_url(self, drop_id: int) -> str | None:
        """Where a fan on this platform opens the drop (a deep link, its post), if anywhere."""
        ...


class CreatorDesk(Protocol):
    async def tell(self, note: CreatorNote) -> bool:
        """Tell the creator (their admins) something that needs them; False when nobody
        could be reached."""
        ...


class PayLinks(Protocol):
    async def create(self, hold: HoldForPayment) -> PayLink:
        """The provider's link to pay for the hold; `NotConfigured` when there is none."""
        ...

    async def cancel(self, provider_ref: str) -> None:
        """The hold lapsed: make the link stop taking money."""
        ...


class Refunds(Protocol):
    """One payment provider's refunds. Calling it twice for one payment refunds once (the
    provider is given an idempotency key, or answers that it was refunded already)."""

    async def refund(self, payment_id: str, amount: Money, reason: str) -> None: ...


class Perks(Protocol):
    """One platform's perks. The core decides who is entitled and calls these only for a
    change it has claimed, so each change reaches the platform once."""

    async def grant(self, fan_id: int, perk: PerkRef, replacing: str = "") -> str:
        """Give the perk; returns how the fan uses it (e.g. their own single-use invite
        link), or "". `replacing` is the access given before, to be voided."""
        ...

    async def revoke(self, fan_id: int, perk: PerkRef, access: str) -> None:
        """Take the perk away (remove the fan from the chat, take the role) and void
        `access` if it was never used."""
        ...

    async def holding(self, perks: Sequence[PerkRef]) -> Mapping[int, frozenset[str]]:
        """The platform's own truth: for each perk whose holders the platform lets a bot
        list, the platform user ids holding it now (a Discord role's members). A perk the
        platform cannot tell about is left out (a Telegram bot cannot list a chat's
        members), and the access log stands in for it (core/memberships/access_report.py)."""
        ...


@dataclass(frozen=True, slots=True)
class BilledPlan:
    """A plan as a billing provider sells it: `price_ref` is the provider's recurring price
    made for it the first time a fan joined, if any."""

    plan_id: int
    name: str
    price: Money
    period: str  # core.kinds.PlanPeriod
    trial_days: int
    price_ref: str | None = None


@dataclass(frozen=True, slots=True)
class JoinLink:
    url: str
    price_ref: str  # the plan's recurring price at the provider, kept on the plan


@dataclass(frozen=True, slots=True)
class BilledSubscription:
    """A subscription as the provider has it now, with the fan and plan it was started for
    (its metadata); None where the subscription is not one of ours."""

    ref: str
    fan_id: int | None
    plan_id: int | None
    snapshot: Snapshot
    price_ref: str | None = None  # the one price it charges, if one (a plan switch moves it)


@dataclass(frozen=True, slots=True)
class ListedSubscription:
    """A subscription as the provider lists it (`dropcast plan import`): what it charges,
    if it is one price (`price` None: several prices, a quantity, or a metered price), every
    `period` (core.kinds.PlanPeriod; None: another interval), and its customer's email."""

    billed: BilledSubscription
    price_ref: str
    price: Money | None
    period: str | None
    customer_email: str | None


class MembershipBilling(Protocol):
    """Recurring payments for memberships at one provider (Stripe Billing)."""

    async def join_link(self, plan: BilledPlan, fan_id: int) -> JoinLink:
        """Where the fan starts a subscription to the plan (with its trial), identified by
        the fan and plan ids, never by email; makes the plan's price the first time."""
        ...

    async def portal_link(self, subscription_ref: str) -> str:
        """Where the subscriber manages the subscription (card, cancel) at the provider."""
        ...

    async def subscription(
        self, subscription_ref: str, since: datetime | None = None
    ) -> BilledSubscription:
        """The subscription as the provider has it in a read begun after `since` (else
        now): a read shared with other subscriptions' may serve (a burst of renewals)."""
        ...

    async def cancel_and_refund(
        self, subscription_ref: str, reason: str, refund: bool = True
    ) -> None:
        """End the subscription now, billing nothing more, and (with `refund`) refund its
        latest payment in full (a duplicate's first one, a forgotten fan's renewal). Done
        twice, it changes nothing more; the provider out of reach is `ProviderUnreachable`,
        tried again."""
        ...

    async def subscription_of_payment(self, payment_id: str) -> str | None:
        """The subscription whose invoice the payment paid (a renewal refunded or disputed
        at the provider); None for a payment of no subscription's."""
        ...

    async def billing_subscriptions(self) -> list[ListedSubscription]:
        """Every subscription of the account that still bills (trialing, active, past due),
        whoever started it, read now."""
        ...

    async def assign(self, subscription_ref: str, fan_id: int, plan_id: int) -> BilledSubscription:
        """Name the fan and plan in the subscription's metadata, as a join does, changing
        nothing it charges; the subscription as the provider has it afterwards."""
        ...


class StarSubscriptions(Protocol):
    """Telegram Stars subscriptions, which Telegram itself renews every 30 days."""

    async def invoice_link(self, invoice: StarsInvoice) -> str:
        """A link to the plan's invoice with Telegram's 30-day subscription period."""
        ...

    async def edit(self, user_ref: str, charge_id: str, cancelled: bool) -> None:
        """Stop renewing the subscription begun by `charge_id` at its period's end, or
        renew it again (`editUserStarSubscription`)."""
        ...

    async def refund(self, user_ref: str, charge_id: str) -> None:
        """Give one charge's Stars back; a charge refunded already counts as done."""
        ...

    async def charges(self, since: datetime) -> list[StarsCharge]:
        """The subscription charges Telegram took since then and did not give back, oldest
        first (`getStarTransactions`)."""
        ...
