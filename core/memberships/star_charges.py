"""Telegram Stars subscriptions as plain values: the invoice a plan is sold by, each charge
Telegram takes for it (the first and every renewal), and the payload that ties a charge to
its plan and fan. The core's rules for them are in core/memberships/stars.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.memberships.members import MembershipView

# core.telegram.org/bots/api#createinvoicelink: subscription_period "must always be 2592000
# (30 days) if specified": Telegram's only subscription period
PERIOD = timedelta(seconds=2_592_000)
_PAYLOAD = re.compile(r"plan:(\d{1,10}):(\d{1,12})")


def plan_payload(plan_id: int, fan_id: int) -> str:
    """What a plan's invoice carries (Telegram allows 1-128 bytes): the plan and the fan it
    was made for, checked at pre-checkout and at each payment."""
    return f"plan:{plan_id}:{fan_id}"


def plan_and_fan(payload: str) -> tuple[int, int] | None:
    """The plan and fan a payload names, or None when it is not a plan's invoice."""
    found = _PAYLOAD.fullmatch(payload or "")
    return (int(found[1]), int(found[2])) if found else None


@dataclass(frozen=True, slots=True)
class StarsInvoice:
    """A plan's Stars invoice, made into a link by the `StarSubscriptions` port."""

    plan_id: int
    fan_id: int
    title: str  # Telegram: 1-32 characters
    description: str  # Telegram: 1-255 characters
    stars: int  # per 30 days
    payload: str


@dataclass(frozen=True, slots=True)
class StarsCharge:
    """Stars Telegram took for a subscription: from a `successful_payment` update, or from
    the bot's transaction list when the update never arrived. `user_ref` is the payer's
    Telegram user id; the period it paid for ends at `expires_at`."""

    charge_id: str
    user_ref: str
    payload: str
    stars: int
    paid_at: datetime
    expires_at: datetime
    first: bool | None = None  # the subscription's first charge; None: not told (a listing)

    @property
    def period_start(self) -> datetime:
        """The start of the period paid for, the same whichever way the charge was seen."""
        return self.expires_at - PERIOD


@dataclass(frozen=True, slots=True)
class StarsPaid:
    """A charge recorded: the membership it pays for (None: the charge was given back) and
    whether it changed anything (False: Telegram showed the charge again)."""

    membership: MembershipView | None
    changed: bool


@dataclass(frozen=True, slots=True)
class StarsOffer:
    """A plan on sale, as `/join` shows it to one fan: its Stars invoice link (None when the
    plan has no Stars price, or the fan is a member already)."""

    plan_id: int
    name: str
    stars: int | None
    url: str | None
    member: bool
    perks: tuple[str, ...]
    early_access_minutes: int


@dataclass(frozen=True, slots=True)
class StarsFinding:
    """Something the reconcile found Dropcast cannot put right by itself; shaped as the
    access report's mismatches are (a kind, the fan, what was seen)."""

    kind: str
    fan_id: int
    detail: str


# the kind of finding: Telegram charged for a period while Dropcast gives no access
CHARGED_WHILE_ENDED = "stars_charged_while_ended"


@dataclass(frozen=True, slots=True)
class StarsReconciled:
    """One reconcile run: subscription charges read, memberships they moved on (an update
    lost), charges of forgotten fans refunded, and what is left for the creator."""

    read: int
    healed: int
    refunded: int
    findings: tuple[StarsFinding, ...]
