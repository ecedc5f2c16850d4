"""Fans holding units: reserve, the waitlist, pay links, and holds lapsing.

A hold is placed by `stock.take_unit` (an atomic conditional decrement) in the same short
transaction that records it; the reads before it only produce clear refusals early.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from tortoise.exceptions import IntegrityError

from core import sql
from core.buckets import bucket
from core.bus import EventBus
from core.consent import Consent
from core.drops import members, stock
from core.drops.copy import Pitch, from_stored
from core.drops.stock import NewHold, TierState
from core.drops.views import (
    DropView,
    FanDrops,
    HeldOffer,
    HoldView,
    LinkedHold,
    PayOffer,
    drop_by_code,
    list_drops,
)
from core.errors import (
    DropcastError,
    InvalidState,
    LimitReached,
    NotFound,
    PaidInStars,
    PaymentsNotSetUp,
    SoldOut,
)
from core.events import (
    HoldExpired,
    HoldPlaced,
    PaymentFailed,
)
from core.fans import FanRef, account_on, fan_id_of
from core.inbox import oldest_waiting
from core.kinds import DropStatus, FanTier, HoldStatus, WaitlistStatus
from core.messages import HoldForPayment, PayLink
from core.models import Drop, Fan, Reservation, WaitlistEntry
from core.money import STARS, Money
from core.popups.places import check_pickup, pickup_words
from core.ports import Clock, NotConfigured, PayLinks
from core.short_links import ShortLinks

log = structlog.get_logger(__name__)

_OFFER = (
    f"SELECT r.fan_id, r.expires_at, d.copy_variants, {stock.HELD_PRICE}, {stock.TIER_COLUMNS} "
    'FROM "reservation" r '
    'JOIN "drop_tier" t ON t.id = r.tier_id JOIN "drop" d ON d.id = t.drop_id '
    "WHERE r.id = {hold_id}"
)


class Holds:
    def __init__(
        self,
        clock: Clock,
        bus: EventBus,
        pay_links: PayLinks,
        links: ShortLinks,
        consent: Consent,
    ) -> None:
        self.clock = clock
        self.bus = bus
        self.pay_links = pay_links
        self.links = links
        self.consent = consent

    async def reserve(self, tier_id: int, fan_id: int, *, pop_up_id: int | None = None) -> HoldView:
        """A unit held for the fan to pay, to pick up at `pop_up_id` if given (else shipped,
        for a physical tier). A fan who taps Buy again while holding the most
        they may (or the last unit) gets their own hold again rather than a refusal: their
        first answer may never have reached them (a bot restarting, Discord's 3 seconds
        gone), and tapping again is how people try again; it takes their new choice."""
        now = self.clock.now()
        found = await stock.tier_for_fan(tier_id, fan_id, now)
        if found is None:
            raise NotFound(f"there is no tier #{tier_id}")
        tier, held = found.tier, found.held
        await _check_can_buy(tier, fan_id, now, found.member_minutes)
        if pop_up_id is not None:
            await check_pickup(tier, pop_up_id, now)
        if held is not None and (tier.available < 1 or tier.per_fan_limit == 1):
            await Reservation.filter(id=held.id, status=HoldStatus.HELD).update(pop_up_id=pop_up_id)
            return _view(tier, fan_id, held.id, held.expires_at, held.price)  # theirs, to pay
        if tier.available < 1:
            raise SoldOut(f"{tier.name} is sold out; join the waitlist to get the next free unit")
        slot = await stock.free_slot(tier, fan_id)
        if slot is None:
            return await _still_held(tier, fan_id, now, LimitReached(_limit_message(tier)))
        try:
            async with self.bus.transaction() as changes:
                left = await stock.take_unit(tier.tier_id)
                if left is None:
                    raise SoldOut(f"{tier.name} just sold out; join the waitlist for the next unit")
                price = members.price_for(tier.price, tier.member_price, found.member)
                hold = await stock.new_hold(
                    tier.tier_id, fan_id, slot, now, tier.hold_minutes, price, pop_up_id=pop_up_id
                )
                changes.add(_placed(hold, tier, now))
                if left == 0:
                    changes.add(*await stock.sell_out(tier.drop_id, tier.title, now))
        except SoldOut as sold_out:  # maybe to this fan's other tap, a moment ago
            return await _still_held(tier, fan_id, now, sold_out)
        except IntegrityError:  # the same fan's other tap took the slot a moment ago
            return await _still_held(tier, fan_id, now, LimitReached(_limit_message(tier)))
        return _view(tier, fan_id, hold.id, hold.expires_at, hold.price)

    async def buy(self, tier_id: int, fan: FanRef, *, pop_up_id: int | None = None) -> HoldView:
        """A Buy answered in two steps (Telegram's): the platform user's fan holds a unit
        now, and is offered it to pay (`offer_to_pay`) once the tap was answered."""
        return await self.reserve(tier_id, await fan_id_of(fan), pop_up_id=pop_up_id)

    async def drops_for(self, fan: FanRef, statuses: tuple[str, ...]) -> FanDrops:
        """The drops in `statuses`, with what the platform user holds of them and whether
        they are a member (their prices and early access)."""
        fan_id = await fan_id_of(fan)
        return await self._for_fan(fan_id, await list_drops(statuses))

    async def open_drop(self, code: str, fan: FanRef, *, opting_in: str) -> FanDrops:
        """A drop opened from its link that also starts the chat with the bot: a yes to DMs
        there, recorded first (`opting_in` says how), then the drop (none when the code
        names none any more) with what the fan holds of it."""
        fan_id = await fan_id_of(fan)
        await self.consent.give(fan_id, fan.platform, opting_in)
        drop = await drop_by_code(code)
        if drop is None:
            return FanDrops((), frozenset())
        return await self._for_fan(fan_id, [drop])

    async def _for_fan(self, fan_id: int, drops: list[DropView]) -> FanDrops:
        minutes = await members.member_minutes(fan_id, self.clock.now())
        return FanDrops(tuple(drops), await self._held_tiers(fan_id), minutes)

    async def _held_tiers(self, fan_id: int) -> frozenset[int]:
        """The tiers on which this fan holds a unit still theirs to pay: a drop they open
        again offers them their hold, even when it shows sold out (the unit is theirs)."""
        return frozenset(
            await Reservation.filter(
                fan_id=fan_id, status=HoldStatus.HELD, expires_at__gt=self.clock.now()
            ).values_list("tier_id", flat=True)  # type: ignore[arg-type]
        )

    async def join_waitlist_as(self, tier_id: int, fan: FanRef) -> int:
        """The platform user queues for the next free unit (`join_waitlist`)."""
        return await self.join_waitlist(tier_id, await fan_id_of(fan))

    async def join_waitlist(self, tier_id: int, fan_id: int) -> int:
        """Queue the fan for the next unit of this tier that a lapsed hold returns; returns
        their place in the queue."""
        tier, now = await _tier(tier_id), self.clock.now()
        await _check_can_buy(tier, fan_id, now, await members.member_minutes(fan_id, now))
        if await stock.free_slot(tier, fan_id) is None:
            raise LimitReached(_limit_message(tier))
        # a fan whose earlier offer ended queues again, at the back
        await WaitlistEntry.filter(
            tier_id=tier_id, fan_id=fan_id, status=WaitlistStatus.OFFERED
        ).delete()
        entry, _ = await WaitlistEntry.get_or_create(
            tier_id=tier_id, fan_id=fan_id, defaults={"created_at": self.clock.now()}
        )
        return await WaitlistEntry.filter(
            tier_id=tier_id, status=WaitlistStatus.WAITING, id__lte=entry.id
        ).count()

    async def pay_link(self, hold_id: int, fan_id: int) -> PayLink:
        """The fan's link to pay for their own hold: our tracked short link to the provider's."""
        hold = await Reservation.get_or_none(id=hold_id, fan_id=fan_id)
        if hold is None:
            raise NotFound(f"you have no hold #{hold_id}")
        if hold.status != HoldStatus.HELD:
            raise InvalidState(f"hold #{hold_id} is {hold.status}; it can no longer be paid")
        tier = await _tier(hold.tier_id)
        _check_linkable(tier)
        try:
            link = await self.pay_links.create(
                HoldForPayment(
                    hold_id=hold.id,
                    fan_id=fan_id,
                    title=tier.title,
                    tier_name=tier.name,
                    kind=str(tier.kind),
                    price=_held_at(hold, tier),
                    expires_at=hold.expires_at,
                    pickup=await pickup_words(hold.pop_up_id),
                )
            )
        except NotConfigured as missing:
            await self._release(hold.id, tier)
            log.warning(
                "payments_not_set_up",
                reason=f"payments are not set up yet: the creator needs to set {missing.setting}",
            )
            refusal = "payments are not open yet; nothing was held or charged"
            raise PaymentsNotSetUp(refusal) from None
        await Reservation.filter(id=hold.id, pay_ref__isnull=True).update(pay_ref=link.provider_ref)
        short = await self.links.shorten(link.url, purpose="pay", ref=str(hold.id))
        return PayLink(url=short, provider_ref=link.provider_ref)

    async def buy_by_link(
        self, tier_id: int, fan: FanRef, *, pop_up_id: int | None = None
    ) -> LinkedHold:
        """A Buy answered in one message (Discord's): the platform user's fan holds a unit,
        with their own pay link to it. A Stars tier is refused (`PaidInStars`) before
        anything is held."""
        fan_id = await fan_id_of(fan)
        _check_linkable(await _tier(tier_id))
        hold = await self.reserve(tier_id, fan_id, pop_up_id=pop_up_id)
        link = await self.pay_link(hold.id, fan_id)
        offer = await self.offer(hold.id)
        account = await account_on(fan_id, fan.platform)
        return LinkedHold(offer, link.url, account is not None and account.reachable)

    async def offer_to_pay(self, hold_id: int, fan_id: int) -> PayOffer:
        """What a fan whose tap was answered "held" is offered next: the offer, and their own
        pay link unless the tier is paid in Stars."""
        offer = await self.offer(hold_id)
        if offer.price.currency == STARS:
            return PayOffer(offer, None)
        return PayOffer(offer, (await self.pay_link(hold_id, fan_id)).url)

    async def pitch(self, hold_id: int) -> Pitch:
        """The copy variant a held fan reads, during a drop's A/B test: stable per fan, and
        recorded on the hold the first time it is shown."""
        return (await self.offer(hold_id)).pitch

    async def offer(self, hold_id: int) -> HeldOffer:
        """What a held fan is told about their hold, in one read: every fan of a rush is
        told it (bench/rush.py). Its `pitch` is recorded on the hold as `pitch` says."""
        found = await sql.rows(_OFFER, hold_id=hold_id)
        if not found:
            raise NotFound(f"there is no hold #{hold_id}")
        row = found[0]
        tier = stock.tier_from_row(row)
        price = stock.held_price(row["held_minor"], tier)
        expires_at = Reservation._meta.fields_map["expires_at"].to_python_value(row["expires_at"])
        variants = from_stored(
            Drop._meta.fields_map["copy_variants"].to_python_value(row["copy_variants"]) or []
        )
        public = tier.price if price.minor < tier.price.minor else None  # a member's price
        pitch = Pitch(was=public, member=public is not None)
        if variants:
            chosen = variants[bucket(f"drop:{tier.drop_id}", int(row["fan_id"]), len(variants))]
            await Reservation.filter(id=hold_id, copy_label__isnull=True).update(
                copy_label=chosen.label
            )
            minor = chosen.was_minor
            was = None if minor is None else Money(minor, tier.price.currency)
            pitch = Pitch(
                chosen.label,
                tier.available if chosen.scarcity else None,
                pitch.was or (was if was is not None and was.minor > tier.price.minor else None),
                pitch.member,
            )
        return HeldOffer(hold_id, tier.title, tier.name, price, expires_at, pitch)

    async def check_payable(self, hold_id: int, fan: FanRef, amount: Money) -> None:
        """Just before a fan's money moves (Telegram's pre-checkout): is the hold the
        platform user's, still held, and is this its price? Raises with the reason to show
        them."""
        hold = await Reservation.get_or_none(id=hold_id, fan_id=await fan_id_of(fan))
        if hold is None:
            raise NotFound(f"hold #{hold_id} is not one of yours")
        if hold.status != HoldStatus.HELD or hold.expires_at <= self.clock.now():
            raise InvalidState("your hold has ended, so nothing was charged; tap Buy to try again")
        price = _held_at(hold, await _tier(hold.tier_id))
        if amount != price:
            raise InvalidState(f"the price is {price}, not {amount}; nothing was charged")

    async def payment_failed(self, hold_id: int) -> None:
        """The provider says the fan's payment failed: tell them, change nothing."""
        hold = await Reservation.get_or_none(id=hold_id)
        if hold is None:
            raise NotFound(f"there is no hold #{hold_id}")
        tier = await _tier(hold.tier_id)
        still_held = hold.status == HoldStatus.HELD
        await self.bus.publish(
            PaymentFailed(self.clock.now(), hold.id, hold.fan_id, tier.title, tier.name, still_held)
        )

    async def expire_due(self) -> int:
        """Lapse every hold past its time; each is a conditional update, so reruns are no-ops.
        A hold that was still valid when the oldest payment event still to be handled
        arrived waits for it: that payment was on time, however late it is settled."""
        now = self.clock.now()
        lapsed = Reservation.filter(status=HoldStatus.HELD, expires_at__lte=now)
        if (waiting_since := await oldest_waiting()) is not None:
            lapsed = lapsed.filter(expires_at__lt=waiting_since)
        due: list[int] = await lapsed.values_list("id", flat=True)  # type: ignore[assignment]
        expired = 0
        for hold_id in due:
            expired += await self._expire(hold_id, now)
        return expired

    async def _release(self, hold_id: int, tier: TierState) -> None:
        """A hold that can never be paid gives its unit straight back (invariant 1)."""
        now = self.clock.now()
        async with self.bus.transaction() as changes:
            if await stock.end_hold(hold_id, HoldStatus.CANCELLED, now):
                changes.add(*await stock.give_back(tier, now))

    async def _expire(self, hold_id: int, now: datetime) -> bool:
        """End one hold and pass its unit to the first fan waiting, else back to stock; the
        offer, its pay link and its message are owed in the same transaction."""
        async with self.bus.transaction() as changes:
            if not await stock.end_hold(hold_id, HoldStatus.EXPIRED, now):
                return False
            hold = await Reservation.get(id=hold_id)
            tier = await _tier(hold.tier_id)
            changes.add(HoldExpired(now, hold.id, tier.drop_id, tier.tier_id, hold.fan_id))
            offered = await _offer_to_waitlist(tier, now) if tier.status in stock.SELLABLE else None
            if offered is not None:
                changes.add(_placed(offered, tier, now))
            else:
                changes.add(*await stock.give_back(tier, now))
        return True


async def _check_can_buy(
    tier: TierState, fan_id: int, now: datetime, member_minutes: int | None
) -> None:
    """May this fan hold a unit now? `member_minutes` is their members' early access (None:
    no member); a member-only tier or drop refuses everyone else."""
    if tier.closes_at is not None and tier.closes_at <= now:
        raise InvalidState(f"{tier.title} has closed")
    if tier.status in (DropStatus.OPEN, DropStatus.SOLD_OUT, DropStatus.SCHEDULED):
        members.check_member(tier, member_minutes is not None)
    if tier.status in (DropStatus.OPEN, DropStatus.SOLD_OUT):
        return
    if tier.status == DropStatus.SCHEDULED and tier.opens_at is not None:
        if members.in_member_window(tier.opens_at, member_minutes, now):
            return  # members' early access
        if await _in_early_access(tier, fan_id, now):
            return  # the recognition tier's: whichever window is longer lets them in
        raise InvalidState(f"{tier.title} opens at {tier.opens_at.isoformat()}")
    raise InvalidState(f"{tier.title} is {tier.status}, not open")


async def _in_early_access(tier: TierState, fan_id: int, now: datetime) -> bool:
    if tier.early_access_tier is None or tier.opens_at is None:
        return False
    if now < tier.opens_at - timedelta(minutes=tier.early_access_minutes):
        return False
    fan = await Fan.get_or_none(id=fan_id)
    if fan is None:
        raise NotFound(f"there is no fan #{fan_id}")
    return FanTier(fan.tier).rank >= tier.early_access_tier.rank


async def _offer_to_waitlist(tier: TierState, now: datetime) -> NewHold | None:
    """Inside the expiry transaction: hand the returned unit straight to the next fan waiting."""
    waiting = await WaitlistEntry.filter(
        tier_id=tier.tier_id, status=WaitlistStatus.WAITING
    ).order_by("id")
    for entry in waiting:
        minutes = await members.member_minutes(entry.fan_id, now)
        if (tier.members_only or tier.drop_members_only) and minutes is None:
            continue  # their membership ended while they waited
        slot = await stock.free_slot(tier, entry.fan_id)
        if slot is None:
            continue
        price = members.price_for(tier.price, tier.member_price, minutes is not None)
        hold = await stock.new_hold(
            tier.tier_id, entry.fan_id, slot, now, tier.hold_minutes, price, from_waitlist=True
        )
        await WaitlistEntry.filter(id=entry.id, status=WaitlistStatus.WAITING).update(
            status=WaitlistStatus.OFFERED, hold_id=hold.id
        )
        return hold
    return None


def _check_linkable(tier: TierState) -> None:
    if tier.price.currency == STARS:
        raise PaidInStars(f"{tier.name} is paid in Telegram Stars, in the bot chat")


async def _tier(tier_id: int) -> TierState:
    tier = await stock.tier_state(tier_id)
    if tier is None:
        raise NotFound(f"there is no tier #{tier_id}")
    return tier


def _placed(hold: NewHold, tier: TierState, now: datetime) -> HoldPlaced:
    return HoldPlaced(
        now,
        hold.id,
        tier.drop_id,
        tier.tier_id,
        tier.title,
        tier.name,
        hold.fan_id,
        hold.expires_at,
        hold.price,
        hold.from_waitlist,
    )


async def _still_held(
    tier: TierState, fan_id: int, now: datetime, refusal: DropcastError
) -> HoldView:
    """After a race with the fan's own other tap: the hold it made, to pay; else `refusal`."""
    found = await stock.tier_for_fan(tier.tier_id, fan_id, now)
    held = found.held if found else None
    if held is None:
        raise refusal
    return _view(tier, fan_id, held.id, held.expires_at, held.price)


def _view(
    tier: TierState, fan_id: int, hold_id: int, expires_at: datetime, price: Money
) -> HoldView:
    return HoldView(
        hold_id, tier.drop_id, tier.tier_id, fan_id, HoldStatus.HELD.value, price, expires_at
    )  # fmt: skip


def _held_at(hold: Reservation, tier: TierState) -> Money:
    """The price the hold was placed at: what its pay link, invoice and order take."""
    return stock.held_price(hold.price_minor, tier)


def _limit_message(tier: TierState) -> str:
    return f"you already hold or bought {tier.per_fan_limit} of {tier.name}, the most one fan can"
