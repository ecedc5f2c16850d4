"""What Dropcast holds about one person, handed over whole (`export`) or erased (`forget`).

Forgetting keeps what the creator's books need, without the person: orders keep their
amounts, tiers and dates under a fan id that no longer leads to anyone; names, platform
accounts, contact details, addresses, consent records, invite links and link codes go.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from core.bus import Changes, EventBus
from core.errors import NotFound
from core.events import SubscriptionRefused
from core.fans import FanRef, fan_id_of
from core.kinds import FanTier, SubscriptionProvider
from core.models import (
    Attendance,
    ConsentRecord,
    Delivery,
    Fan,
    LedgerEntry,
    LinkCode,
    Membership,
    OfferTap,
    Order,
    PerkChange,
    PerkGrant,
    PlatformAccount,
    Reservation,
    Rsvp,
    SubscriptionClaim,
    WaitlistEntry,
)
from core.perks import PerkService

FORGOTTEN = "forgotten fan"
ERASED = "erased"  # a subscription refused because its fan was forgotten just now


async def export(fan_id: int) -> dict[str, Any]:
    """Everything held about the fan, as plain JSON-ready data."""
    fan = await _fan(fan_id)
    everything: dict[str, Any] = _plain(
        {
            "fan": {
                "id": fan.id, "name": fan.display_name, "email": fan.email,
                "tier": fan.tier.value, "time_zone": fan.timezone,
                "direct_messages": fan.dm_opt_in, "named_in_shout_outs": fan.named_in_shout_outs,
                "since": fan.created_at,
            },
            "accounts": await PlatformAccount.filter(fan_id=fan_id).values(
                "platform", "platform_user_id", "username", "dm_reachable", "created_at"
            ),
            "consent": await ConsentRecord.filter(fan_id=fan_id).order_by("at").values(
                "given", "platform", "how", "at"
            ),
            "orders": await Order.filter(fan_id=fan_id).order_by("id").values(
                "id", "tier__drop__title", "tier__name", "amount_minor", "currency", "status",
                "shipping_address", "created_at", "shipped_at",
            ),
            "holds": await Reservation.filter(fan_id=fan_id).order_by("id").values(
                "id", "tier__drop__title", "status", "created_at", "expires_at"
            ),
            "waitlist": await WaitlistEntry.filter(fan_id=fan_id).values(
                "tier__drop__title", "status", "created_at"
            ),
            "points": await LedgerEntry.filter(fan_id=fan_id).order_by("id").values(
                "amount", "reason", "created_at"
            ),
            "perks": await PerkGrant.filter(fan_id=fan_id).values(
                "perk__title", "status", "changed_at"
            ),
            "perk_changes": await PerkChange.filter(fan_id=fan_id).order_by("id").values(
                "perk__title", "change", "cause", "at"
            ),
            "live_sessions": await Attendance.filter(fan_id=fan_id).values(
                "session__title", "first_seen_at", "minutes"
            ),
            "sign_ups": await Rsvp.filter(fan_id=fan_id).values("session__title", "created_at"),
            "memberships": await Membership.filter(fan_id=fan_id).order_by("id").values(
                "plan__name", "provider", "state", "started_at", "current_period_end",
                "ended_at",
            ),
            "membership_claims": await SubscriptionClaim.filter(fan_id=fan_id).values(
                "plan__name", "subscription_ref", "used_at"
            ),
            "campaign_messages": await Delivery.filter(fan_id=fan_id).values(
                "campaign__name", "variant__label", "status", "reason", "sent_at"
            ),
            "pay_link_taps": await OfferTap.filter(fan_id=fan_id).order_by("id").values(
                "drop_code", "tier_id", "source", "at"
            ),
        }
    )  # fmt: skip
    return everything


async def forget(fan_id: int, perks: PerkService, bus: EventBus | None = None) -> None:
    """Take back the fan's perks while their accounts still say where, then erase the
    person. Forgetting twice changes nothing more. With the core's `bus`, each Stripe
    subscription of theirs still billing is cancelled, by a notice written with the
    erasure (core/memberships/refusals.py): nothing renews for someone who is gone."""
    fan = await _fan(fan_id)
    await perks.release_all(fan.id)
    async with bus.transaction() if bus else _changes() as changes:
        if bus is not None:
            changes.add(*await _subscriptions_to_end(fan_id, perks.clock.now()))
        await Fan.filter(id=fan_id).update(
            display_name=FORGOTTEN, email=None, timezone="UTC", tier=FanTier.FAN,
            dm_opt_in=False, named_in_shout_outs=False,
        )  # fmt: skip
        await PlatformAccount.filter(fan_id=fan_id).delete()
        await ConsentRecord.filter(fan_id=fan_id).delete()
        await LinkCode.filter(fan_id=fan_id).delete()
        await WaitlistEntry.filter(fan_id=fan_id).delete()
        await Rsvp.filter(fan_id=fan_id).delete()
        await Order.filter(fan_id=fan_id).update(shipping_address=None)
        await PerkGrant.filter(fan_id=fan_id).update(access="")


async def my_data(fan: FanRef) -> bytes:
    """`/mydata`: the platform user's export, as the JSON file they download."""
    data = await export(await fan_id_of(fan))
    return json.dumps(data, indent=2, ensure_ascii=False).encode()


async def ask_to_forget(fan: FanRef) -> int:
    """`/forgetme` asks first: the fan its confirming button names, so that only their own
    press erases them (`forget_account`)."""
    return await fan_id_of(fan)


async def forget_account(
    fan: FanRef, fan_id: int, perks: PerkService, bus: EventBus | None = None
) -> bool:
    """A fan's own confirmed request from a chat: forgets `fan_id` only if this platform
    account still belongs to it; False if it was done already (or the button is not theirs)."""
    if not await PlatformAccount.exists(
        platform=fan.platform, platform_user_id=fan.user_ref, fan_id=fan_id
    ):
        return False
    await forget(fan_id, perks, bus)
    return True


async def is_forgotten(fan_id: int) -> bool:
    """Whether the fan asked to be forgotten: erased, with no account left to reach them by
    (`forget`). Whatever still arrives for them (a subscription's renewal) is undone, never
    stored with them."""
    return await Fan.exists(id=fan_id, display_name=FORGOTTEN) and not (
        await PlatformAccount.exists(fan_id=fan_id)
    )


@asynccontextmanager
async def _changes() -> AsyncIterator[Changes]:
    """A plain transaction, its events dropped: no bus to write their notices with."""
    async with in_transaction():
        yield Changes()


async def _subscriptions_to_end(fan_id: int, now: datetime) -> list[SubscriptionRefused]:
    billing = await Membership.filter(
        fan_id=fan_id, live__isnull=False, provider=SubscriptionProvider.STRIPE
    ).values_list("plan_id", "subscription_ref")
    return [
        SubscriptionRefused(now, SubscriptionProvider.STRIPE.value, ref, plan_id, None, ERASED)
        for plan_id, ref in billing
    ]


async def _fan(fan_id: int) -> Fan:
    fan = await Fan.get_or_none(id=fan_id)
    if fan is None:
        raise NotFound(f"there is no fan #{fan_id}")
    return fan


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "value") and not isinstance(value, (str, int)):
        return value.value
    return value
