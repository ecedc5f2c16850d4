"""Fans holding units: reserve, the waitlist, pay links, and holds lapsing.

A hold is placed by `stock.take_unit` (an atomic conditional decrement) in the same short
transaction that records it; the reads before it only produce clear refusals early.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.bus import EventBus
from core.drops import stock
from core.drops.views import HoldView
from core.errors import InvalidState, LimitReached, NotFound, SoldOut
from core.events import DomainEvent, DropReopened, DropSoldOut, HoldExpired, HoldPlaced
from core.messages import HoldForPayment, PayLink
from core.models import (
    Drop,
    DropStatus,
    DropTier,
    Fan,
    FanTier,
    HoldStatus,
    Reservation,
    WaitlistEntry,
    WaitlistStatus,
)
from core.money import Money
from core.ports import Clock, PayLinks


class Holds:
    def __init__(self, clock: Clock, bus: EventBus, pay_links: PayLinks) -> None:
        self.clock = clock
        self.bus = bus
        self.pay_links = pay_links

    async def reserve(self, tier_id: int, fan_id: int) -> HoldView:
        now = self.clock.now()
        tier = await _tier(tier_id)
        await self._check_can_buy(tier.drop, fan_id, now)
        if tier.available < 1:
            raise SoldOut(f"{tier.name} is sold out; join the waitlist to get the next free unit")
        slot = await stock.free_slot(tier, fan_id)
        if slot is None:
            raise LimitReached(_limit_message(tier))
        try:
            async with in_transaction():
                if not await stock.take_unit(tier.id):
                    raise SoldOut(f"{tier.name} just sold out; join the waitlist for the next unit")
                hold = await stock.new_hold(tier, fan_id, slot, now, tier.drop.hold_minutes)
        except IntegrityError:
            raise LimitReached(_limit_message(tier)) from None
        events: list[DomainEvent] = [_placed(hold, tier, now)]
        if await stock.all_taken(tier.drop.id):
            events += await _mark_sold_out(tier.drop, now)
        await self.bus.publish(*events)
        return _view(hold, tier)

    async def join_waitlist(self, tier_id: int, fan_id: int) -> int:
        """Queue the fan for the next unit of this tier that a lapsed hold returns."""
        tier = await _tier(tier_id)
        await self._check_can_buy(tier.drop, fan_id, self.clock.now())
        if await stock.free_slot(tier, fan_id) is None:
            raise LimitReached(_limit_message(tier))
        entry, _ = await WaitlistEntry.get_or_create(
            tier_id=tier.id, fan_id=fan_id, defaults={"created_at": self.clock.now()}
        )
        return await WaitlistEntry.filter(
            tier_id=tier.id, status=WaitlistStatus.WAITING, id__lte=entry.id
        ).count()

    async def pay_link(self, hold_id: int, fan_id: int) -> PayLink:
        """The fan's link to pay for their own hold (made once, then reused)."""
        hold = await Reservation.get_or_none(id=hold_id, fan_id=fan_id).select_related("tier__drop")
        if hold is None:
            raise NotFound(f"you have no hold #{hold_id}")
        if hold.status != HoldStatus.HELD:
            raise InvalidState(f"hold #{hold_id} is {hold.status}; it can no longer be paid")
        tier = hold.tier
        link = await self.pay_links.create(
            HoldForPayment(
                hold_id=hold.id,
                fan_id=fan_id,
                title=tier.drop.title,
                tier_name=tier.name,
                kind=str(tier.kind),
                price=Money(tier.price_minor, tier.currency),
                expires_at=hold.expires_at,
            )
        )
        await Reservation.filter(id=hold.id, pay_ref__isnull=True).update(pay_ref=link.provider_ref)
        return link

    async def expire_due(self) -> int:
        """Lapse every hold past its time; each is a conditional update, so reruns are no-ops."""
        now = self.clock.now()
        due: list[int] = await Reservation.filter(
            status=HoldStatus.HELD, expires_at__lte=now
        ).values_list("id", flat=True)  # type: ignore[assignment]
        expired = 0
        for hold_id in due:
            events = await self._expire(hold_id, now)
            expired += bool(events)
            await self.bus.publish(*events)
        return expired

    async def _expire(self, hold_id: int, now: datetime) -> list[DomainEvent]:
        """End one hold and pass its unit to the first fan waiting, else back to stock."""
        events: list[DomainEvent] = []
        async with in_transaction():
            if not await stock.end_hold(hold_id, HoldStatus.EXPIRED, now):
                return []
            hold = await Reservation.get(id=hold_id).select_related("tier__drop")
            tier, drop = hold.tier, hold.tier.drop
            events.append(HoldExpired(now, hold.id, drop.id, tier.id, hold.fan_id))
            offered = await _offer_to_waitlist(tier, now) if drop.status in stock.SELLABLE else None
            if offered is not None:
                events.append(_placed(offered, tier, now))
            else:
                await stock.return_unit(tier.id)
                reopened = await Drop.filter(id=drop.id, status=DropStatus.SOLD_OUT).update(
                    status=DropStatus.OPEN
                )
                if reopened:
                    events.append(DropReopened(now, drop.id, drop.title))
        return events

    async def _check_can_buy(self, drop: Drop, fan_id: int, now: datetime) -> None:
        if drop.closes_at is not None and drop.closes_at <= now:
            raise InvalidState(f"{drop.title} has closed")
        if drop.status in (DropStatus.OPEN, DropStatus.SOLD_OUT):
            return
        if drop.status == DropStatus.SCHEDULED and drop.opens_at is not None:
            if await _in_early_access(drop, fan_id, now):
                return
            raise InvalidState(f"{drop.title} opens at {drop.opens_at.isoformat()}")
        raise InvalidState(f"{drop.title} is {drop.status}, not open")


async def _offer_to_waitlist(tier: DropTier, now: datetime) -> Reservation | None:
    """Inside the expiry transaction: hand the returned unit straight to the next fan waiting."""
    waiting = await WaitlistEntry.filter(tier_id=tier.id, status=WaitlistStatus.WAITING).order_by(
        "id"
    )
    for entry in waiting:
        slot = await stock.free_slot(tier, entry.fan_id)
        if slot is None:
            continue
        hold = await stock.new_hold(
            tier,
            entry.fan_id,
            slot,
            now,
            tier.drop.hold_minutes,
            from_waitlist=True,
        )
        await WaitlistEntry.filter(id=entry.id, status=WaitlistStatus.WAITING).update(
            status=WaitlistStatus.OFFERED, hold_id=hold.id
        )
        return hold
    return None


async def _in_early_access(drop: Drop, fan_id: int, now: datetime) -> bool:
    if drop.early_access_tier is None or drop.opens_at is None:
        return False
    if now < drop.opens_at - timedelta(minutes=drop.early_access_minutes):
        return False
    fan = await Fan.get_or_none(id=fan_id)
    if fan is None:
        raise NotFound(f"there is no fan #{fan_id}")
    return FanTier(fan.tier).rank >= FanTier(drop.early_access_tier).rank


async def _mark_sold_out(drop: Drop, now: datetime) -> list[DomainEvent]:
    changed = await Drop.filter(id=drop.id, status=DropStatus.OPEN).update(
        status=DropStatus.SOLD_OUT
    )
    return [DropSoldOut(now, drop.id, drop.title)] if changed else []


async def _tier(tier_id: int) -> DropTier:
    tier = await DropTier.get_or_none(id=tier_id).select_related("drop")
    if tier is None:
        raise NotFound(f"there is no tier #{tier_id}")
    return tier


def _placed(hold: Reservation, tier: DropTier, now: datetime) -> HoldPlaced:
    return HoldPlaced(
        now,
        hold.id,
        tier.drop.id,
        tier.id,
        hold.fan_id,
        hold.expires_at,
        Money(tier.price_minor, tier.currency),
        hold.from_waitlist,
    )


def _view(hold: Reservation, tier: DropTier) -> HoldView:
    return HoldView(
        hold.id,
        tier.drop.id,
        tier.id,
        hold.fan_id,
        str(hold.status),
        Money(tier.price_minor, tier.currency),
        hold.expires_at,
    )


def _limit_message(tier: DropTier) -> str:
    return f"you already hold or bought {tier.per_fan_limit} of {tier.name}, the most one fan can"
