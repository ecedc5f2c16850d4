"""A drop's life as the creator drives it: draft → scheduled → open → sold out | closed,
or cancelled. Every transition is one conditional update, so a replayed timer or a second
worker finds nothing left to change."""

from __future__ import annotations

import secrets
import string
from datetime import datetime

from tortoise.transactions import in_transaction

from core import communities
from core.bus import EventBus
from core.drops import stock
from core.drops.copy import as_stored, describe, parse_copy
from core.drops.specs import (
    EarlyAccess,
    TierSpec,
    check_description,
    check_hold_minutes,
    check_tiers,
    check_title,
    check_window,
)
from core.drops.views import Announced, DropView, drop_view
from core.errors import InvalidInput, InvalidState, NotFound
from core.events import (
    DropAnnounced,
    DropCancelled,
    DropClosed,
    DropOpened,
    DropScheduled,
    HoldCancelled,
)
from core.kinds import DropStatus, HoldStatus, OrderStatus, Platform
from core.models import Drop, DropTier, Order, Perk, Reservation
from core.money import Money
from core.ports import Clock
from core.posts import post_of

CLOSABLE = (DropStatus.SCHEDULED, DropStatus.OPEN, DropStatus.SOLD_OUT)
CANCELLABLE = (DropStatus.DRAFT, *CLOSABLE)
# orders that hold the fan's money: a drop with any of these cannot simply be called off
UNSETTLED = (OrderStatus.PAID, OrderStatus.FLAGGED, OrderStatus.DISPUTED)

DROP_CODE_LETTERS = string.ascii_letters + string.digits


class DropLifecycle:
    def __init__(self, clock: Clock, bus: EventBus) -> None:
        self.clock = clock
        self.bus = bus

    async def create(
        self,
        title: str,
        tiers: list[TierSpec],
        *,
        description: str = "",
        hold_minutes: int = 10,
        members_only: bool = False,
    ) -> DropView:
        """A draft drop; `members_only`: only members may buy any of its tiers."""
        title = check_title(title)
        description = check_description(description)
        checked = check_tiers(tiers)
        hold_minutes = check_hold_minutes(hold_minutes)
        perks = await _perk_ids(checked)
        async with in_transaction():
            drop = await Drop.create(
                code=new_drop_code(),
                title=title,
                description=description,
                hold_minutes=hold_minutes,
                members_only=members_only is True,
            )
            await DropTier.bulk_create(
                [
                    DropTier(
                        drop_id=drop.id,
                        position=position,
                        name=spec.name,
                        kind=spec.kind,
                        price_minor=spec.price.minor,
                        currency=spec.price.currency,
                        member_price_minor=spec.member_price.minor if spec.member_price else None,
                        members_only=spec.members_only,
                        stock=spec.stock,
                        available=spec.stock,
                        per_fan_limit=spec.per_fan_limit,
                        content=spec.content.strip(),
                        perk_id=perks.get(spec.perk),
                    )
                    for position, spec in enumerate(checked)
                ]
            )
        return await drop_view(drop.id)

    async def launch(
        self,
        title: str,
        tiers: list[TierSpec],
        opens_at: datetime | None,
        *,
        members_only: bool = False,
    ) -> DropView:
        """Create a drop and open it now (`opens_at` None) or schedule its opening."""
        drop = await self.create(title, tiers, members_only=members_only)
        if opens_at is None:
            return await self.open(drop.id)
        return await self.schedule(drop.id, opens_at)

    async def schedule(
        self,
        drop_id: int,
        opens_at: datetime,
        closes_at: datetime | None = None,
        early_access: EarlyAccess | None = None,
    ) -> DropView:
        drop = await _get(drop_id)
        check_window(self.clock.now(), opens_at, closes_at)
        early = early_access.checked() if early_access else None
        async with self.bus.transaction() as changes:
            changed = await Drop.filter(
                id=drop_id, status__in=(DropStatus.DRAFT, DropStatus.SCHEDULED)
            ).update(
                status=DropStatus.SCHEDULED,
                opens_at=opens_at,
                closes_at=closes_at,
                early_access_tier=early.tier if early else None,
                early_access_minutes=early.minutes if early else 0,
            )
            if not changed:
                raise InvalidState(
                    f"drop #{drop_id} is {drop.status}; only a draft can be scheduled"
                )
            changes.add(DropScheduled(self.clock.now(), drop_id, drop.title, opens_at))
        return await drop_view(drop_id)

    async def open(self, drop_id: int) -> DropView:
        drop = await _get(drop_id)
        if not await self._open(drop, (DropStatus.DRAFT, DropStatus.SCHEDULED)):
            raise InvalidState(f"drop #{drop_id} is already {drop.status}; it cannot open again")
        return await drop_view(drop_id)

    async def close(self, drop_id: int) -> DropView:
        drop = await _get(drop_id)
        if not await self._close(drop):
            raise InvalidState(f"drop #{drop_id} is {drop.status}; only a selling drop can close")
        return await drop_view(drop_id)

    async def cancel(self, drop_id: int) -> DropView:
        """Call a drop off before anyone paid; its holds end, their units return and their
        holders are told (their pay links stop taking money)."""
        drop = await _get(drop_id)
        paid = await Order.filter(tier__drop_id=drop_id, status__in=UNSETTLED).values_list(
            "id", flat=True
        )
        if paid:
            numbers = ", ".join(f"#{order_id}" for order_id in paid)
            raise InvalidState(
                f"drop #{drop_id} has paid orders ({numbers}); "
                "refund them first or close it instead"
            )
        now = self.clock.now()
        async with self.bus.transaction() as changes:
            changed = await Drop.filter(id=drop_id, status__in=CANCELLABLE).update(
                status=DropStatus.CANCELLED, ended_at=now
            )
            if not changed:
                raise InvalidState(f"drop #{drop_id} is {drop.status}; it cannot be cancelled")
            changes.add(DropCancelled(now, drop_id, drop.title))
            held = await Reservation.filter(tier__drop_id=drop_id, status=HoldStatus.HELD)
            for hold in held:
                if await stock.end_hold(hold.id, HoldStatus.CANCELLED, now):
                    await stock.return_unit(hold.tier_id)
                    changes.add(HoldCancelled(now, hold.id, drop_id, hold.tier_id, hold.fan_id))
        return await drop_view(drop_id)

    async def set_copy(self, drop_id: int, text: str) -> str:
        """Start (or, with empty text, stop) an A/B test of the words held fans read; says
        what is now set. Fans already given a variant keep it on their holds."""
        drop = await _get(drop_id)
        tiers = await DropTier.filter(drop_id=drop_id).order_by("price_minor")
        cheapest = Money(tiers[0].price_minor, tiers[0].currency)
        variants = parse_copy(text, cheapest)
        await Drop.filter(id=drop.id).update(copy_variants=as_stored(variants))
        return describe(variants, cheapest.currency)

    async def announce(self, drop_id: int) -> DropView:
        """Post the drop in every connected community (or bring its post up to date)."""
        drop = await _get(drop_id)
        if drop.status in (DropStatus.DRAFT, DropStatus.CANCELLED):
            raise InvalidState(f"drop #{drop_id} is {drop.status}; schedule or open it first")
        await self.bus.publish(DropAnnounced(self.clock.now(), drop.id, drop.title))
        return await drop_view(drop_id)

    async def announce_in(
        self,
        drop_id: int,
        platform: Platform,
        community_ref: str,
        name: str,
        *,
        channel_ref: str | None = None,
    ) -> Announced:
        """`announce` asked from a community (a Discord server, connected if new), which
        announces drops in `channel_ref` from now on if given: whether the post made it
        there, and where that is."""
        if channel_ref is not None:
            await communities.choose_channel(platform, community_ref, name, channel_ref)
        drop = await self.announce(drop_id)
        here = await communities.connect(platform, community_ref, name)
        posted = await post_of(here.id, drop_id=drop_id) is not None
        return Announced(drop, posted, here.channel_ref)

    async def refresh_countdowns(self) -> int:
        """Bring the posts of scheduled drops up to date; adapters edit only what changed."""
        scheduled = await Drop.filter(status=DropStatus.SCHEDULED)
        now = self.clock.now()
        await self.bus.publish(*(DropAnnounced(now, drop.id, drop.title) for drop in scheduled))
        return len(scheduled)

    async def open_due(self) -> int:
        """Open every scheduled drop whose time has come; safe to run from any number of clocks."""
        due = await Drop.filter(status=DropStatus.SCHEDULED, opens_at__lte=self.clock.now())
        return sum([await self._open(drop, (DropStatus.SCHEDULED,)) for drop in due])

    async def close_due(self) -> int:
        due = await Drop.filter(status__in=CLOSABLE, closes_at__lte=self.clock.now())
        return sum([await self._close(drop) for drop in due])

    async def _open(self, drop: Drop, from_statuses: tuple[DropStatus, ...]) -> bool:
        """Open the drop; if early access already took every unit, it is sold out at once."""
        return await self._transition(drop, from_statuses, DropStatus.OPEN, DropOpened)

    async def _close(self, drop: Drop) -> bool:
        return await self._transition(drop, CLOSABLE, DropStatus.CLOSED, DropClosed)

    async def _transition(
        self,
        drop: Drop,
        from_statuses: tuple[DropStatus, ...],
        to: DropStatus,
        event: type[DropOpened | DropClosed],
    ) -> bool:
        """Move the drop only if it is still in one of `from_statuses`, then say so once."""
        now = self.clock.now()
        stamp = "opened_at" if to == DropStatus.OPEN else "ended_at"
        async with self.bus.transaction() as changes:
            changed = await Drop.filter(id=drop.id, status__in=from_statuses).update(
                status=to, **{stamp: now}
            )
            if changed:
                changes.add(event(now, drop.id, drop.title))
            if changed and to == DropStatus.OPEN:
                changes.add(*await stock.sell_out(drop.id, drop.title, now))
        return changed == 1


async def _get(drop_id: int) -> Drop:
    drop = await Drop.get_or_none(id=drop_id)
    if drop is None:
        raise NotFound(f"there is no drop #{drop_id}")
    return drop


async def _perk_ids(tiers: list[TierSpec]) -> dict[str, int]:
    """The perks the tiers name, each of which must exist."""
    wanted = {tier.perk for tier in tiers if tier.perk}
    found = dict(await Perk.filter(name__in=wanted).values_list("name", "id")) if wanted else {}
    missing = sorted(wanted - set(found))
    if missing:
        raise InvalidInput(
            f"there is no perk called {missing[0]!r}: name one first (README: Perks)"
        )
    return found


def new_drop_code() -> str:
    """Eight letters and digits: a drop's code is typed after commands (`dropcast drop link
    CODE`) and in addresses, so it never starts with "-" or holds "_"."""
    return "".join(secrets.choice(DROP_CODE_LETTERS) for _ in range(8))
