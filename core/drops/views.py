"""Read models of drops for creators and adapters: plain values, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.functions import Count

from core.drops.copy import Pitch
from core.drops.members import plans_early_minutes, price_for
from core.errors import NotFound
from core.kinds import HoldStatus
from core.messages import DropAnnouncement, TierLine
from core.models import Drop, DropTier, Reservation
from core.money import Money


@dataclass(frozen=True, slots=True)
class TierView:
    id: int
    name: str
    kind: str
    price: Money
    stock: int
    available: int
    held: int
    sold: int
    per_fan_limit: int
    member_price: Money | None = None  # what members pay instead
    members_only: bool = False

    def price_for(self, member: bool) -> Money:
        """What a member (or anyone else) pays for a unit (core/drops/members.py decides it
        again, from the database, when they tap Buy)."""
        return price_for(self.price, self.member_price, member)

    @property
    def off_sale(self) -> int:
        """Units refunded without being put back on sale: the creator kept them back."""
        return self.stock - self.available - self.held - self.sold


@dataclass(frozen=True, slots=True)
class DropView:
    id: int
    code: str
    title: str
    status: str
    opens_at: datetime | None
    closes_at: datetime | None
    early_access: str | None
    hold_minutes: int
    tiers: tuple[TierView, ...]
    members_only: bool = False  # only members may buy any of its tiers
    members_early_minutes: int = 0  # the most early access a plan on sale gives its members

    def announcement(self) -> DropAnnouncement:
        lines = tuple(
            TierLine(t.id, t.name, t.price, t.available, t.member_price, t.members_only)
            for t in self.tiers
        )
        return DropAnnouncement(
            self.id, self.code, self.title, self.status, self.opens_at, lines,
            self.members_only, self.members_early_minutes,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class HoldView:
    id: int
    drop_id: int
    tier_id: int
    fan_id: int
    status: str
    price: Money
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class HeldOffer:
    """What a held fan is told: what is held, until when, and in which words."""

    hold_id: int
    title: str
    tier_name: str
    price: Money
    expires_at: datetime
    pitch: Pitch


@dataclass(frozen=True, slots=True)
class PayOffer:
    """A held fan's offer with their own pay link; none for a tier paid in Telegram Stars,
    which is paid by invoice in the bot chat."""

    offer: HeldOffer
    url: str | None


@dataclass(frozen=True, slots=True)
class LinkedHold:
    """A Buy answered in one message: the offer, the fan's own pay link, and whether their
    receipt (and goods) can reach them by DM on the platform they bought on."""

    offer: HeldOffer
    url: str
    reachable: bool


@dataclass(frozen=True, slots=True)
class FanDrops:
    """Drops as one fan sees them: `held` names the tiers they hold a unit of, still theirs
    to pay, offered back to them even where the drop shows sold out."""

    drops: tuple[DropView, ...]
    held: frozenset[int]
    member_minutes: int | None = None  # the fan's members' early access; None: no member

    @property
    def member(self) -> bool:
        return self.member_minutes is not None


@dataclass(frozen=True, slots=True)
class Announced:
    """A drop announced, as seen from one community: whether its post is there, and where
    drops are announced there (None until the creator chose)."""

    drop: DropView
    posted: bool
    channel_ref: str | None


async def drop_view(drop_id: int) -> DropView:
    drop = await Drop.get_or_none(id=drop_id)
    if drop is None:
        raise NotFound(f"there is no drop #{drop_id}")
    return (await _views([drop]))[0]


async def drop_by_code(code: str) -> DropView | None:
    """The drop a link names by its public code; None when there is none (any more)."""
    drop = await Drop.get_or_none(code=code)
    return None if drop is None else (await _views([drop]))[0]


async def drop_code(drop_id: int) -> str | None:
    """The public code that links opening the drop carry; None when there is no such drop."""
    drop = await Drop.get_or_none(id=drop_id)
    return None if drop is None else drop.code


async def list_drops(statuses: tuple[str, ...] = ()) -> list[DropView]:
    query = Drop.all().order_by("id")
    if statuses:
        query = query.filter(status__in=statuses)
    return await _views(await query)


async def _views(drops: list[Drop]) -> list[DropView]:
    ids = [drop.id for drop in drops]
    tiers = await DropTier.filter(drop_id__in=ids).order_by("position", "id")
    counts = await (
        Reservation.filter(tier__drop_id__in=ids, status__in=(HoldStatus.HELD, HoldStatus.PAID))
        .group_by("tier_id", "status")
        .annotate(n=Count("id"))
        .values_list("tier_id", "status", "n")
    )
    tally = {(tier_id, str(status)): n for tier_id, status, n in counts}
    members_early = await plans_early_minutes() if drops else 0
    by_drop: dict[int, list[TierView]] = {drop_id: [] for drop_id in ids}
    for tier in tiers:
        by_drop[tier.drop_id].append(
            TierView(
                id=tier.id,
                name=tier.name,
                kind=str(tier.kind),
                price=Money(tier.price_minor, tier.currency),
                stock=tier.stock,
                available=tier.available,
                held=tally.get((tier.id, HoldStatus.HELD.value), 0),
                sold=tally.get((tier.id, HoldStatus.PAID.value), 0),
                per_fan_limit=tier.per_fan_limit,
                member_price=(
                    None
                    if tier.member_price_minor is None
                    else Money(tier.member_price_minor, tier.currency)
                ),
                members_only=tier.members_only,
            )
        )
    return [
        DropView(
            id=drop.id,
            code=drop.code,
            title=drop.title,
            status=str(drop.status),
            opens_at=drop.opens_at,
            closes_at=drop.closes_at,
            early_access=(
                f"{drop.early_access_tier} {drop.early_access_minutes} min early"
                if drop.early_access_tier
                else None
            ),
            hold_minutes=drop.hold_minutes,
            tiers=tuple(by_drop[drop.id]),
            members_only=drop.members_only,
            members_early_minutes=members_early,
        )
        for drop in drops
    ]
