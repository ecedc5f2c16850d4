"""What a drop's public page (`/d/{code}`) and the site's listing show: plain values, the
same for everyone, so the page can be cached at the edge. A draft is nobody's business yet:
it has no public page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.errors import InvalidInput, NotFound
from core.kinds import DropStatus, OrderStatus, TierKind
from core.models import Drop, DropTier, Order, PlatformAccount, PopUp, Reservation
from core.money import STARS, Money
from core.popups.places import window

PUBLIC = (
    DropStatus.SCHEDULED,
    DropStatus.OPEN,
    DropStatus.SOLD_OUT,
    DropStatus.CLOSED,
    DropStatus.CANCELLED,
)
LISTED = (DropStatus.SCHEDULED, DropStatus.OPEN)  # what the sitemap offers search engines
IMAGE_SCHEMES = ("https://", "http://")
IMAGE_LONGEST = 500  # Drop.image_url


@dataclass(frozen=True, slots=True)
class Pickup:
    """A pop-up a buyer may choose instead of shipping (core/popups/places.py)."""

    pop_up_id: int
    words: str


@dataclass(frozen=True, slots=True)
class PublicTier:
    id: int
    name: str
    kind: str
    price: Money
    member_price: Money | None
    members_only: bool
    stock: int
    available: int
    pickups: tuple[Pickup, ...] = ()  # where a physical unit may be picked up instead

    @property
    def in_stars(self) -> bool:
        """Paid in Telegram Stars: only in the bot chat, never on the web."""
        return self.price.currency == STARS


@dataclass(frozen=True, slots=True)
class PublicDrop:
    id: int
    code: str
    title: str
    description: str
    status: str
    opens_at: datetime | None
    closes_at: datetime | None
    image_url: str | None
    members_only: bool
    changed_at: datetime  # the latest of its creation, opening and end: the sitemap's lastmod
    tiers: tuple[PublicTier, ...]  # the most valuable first: the anchor for the rest


@dataclass(frozen=True, slots=True)
class Listed:
    code: str
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class PaidHold:
    """What `/paid?hold=N` may say. `goods` only for the buyer's own browser (`mine`);
    `by_dm`: the fan has a platform account, where the receipt and goods go."""

    status: str  # the hold's: held (the payment is being confirmed), paid, expired, …
    drop_code: str
    mine: bool
    by_dm: bool
    goods: str | None
    ordered: bool


async def public_drop(code: str, now: datetime) -> PublicDrop | None:
    """The drop behind a public code, with the pop-ups still ahead at `now`; None for none,
    or a draft."""
    drop = await Drop.get_or_none(code=code, status__in=PUBLIC)
    if drop is None:
        return None
    tiers = await DropTier.filter(drop_id=drop.id).order_by("position", "id")
    pop_ups = await PopUp.filter(drop_id=drop.id, ends_at__gt=now).order_by("starts_at", "id")
    pickups = tuple(
        Pickup(p.id, f"Pick up at {p.place}, {window(p.starts_at, p.ends_at, p.zone)}")
        for p in pop_ups
    )
    changes = [when for when in (drop.created_at, drop.opened_at, drop.ended_at) if when]
    return PublicDrop(
        id=drop.id,
        code=drop.code,
        title=drop.title,
        description=drop.description,
        status=str(drop.status.value),
        opens_at=drop.opens_at,
        closes_at=drop.closes_at,
        image_url=drop.image_url,
        members_only=drop.members_only,
        changed_at=max(changes),
        tiers=tuple(
            sorted(
                (
                    PublicTier(
                        id=tier.id,
                        name=tier.name,
                        kind=str(tier.kind.value),
                        price=Money(tier.price_minor, tier.currency),
                        member_price=None
                        if tier.member_price_minor is None
                        else Money(tier.member_price_minor, tier.currency),
                        members_only=tier.members_only,
                        stock=tier.stock,
                        available=tier.available,
                        pickups=pickups if tier.kind == TierKind.PHYSICAL else (),
                    )
                    for tier in tiers
                ),
                key=lambda tier: -tier.price.minor,
            )
        ),
    )


async def stock_left(code: str) -> dict[int, int] | None:
    """Units free per tier id of a public drop; None for none."""
    rows = await DropTier.filter(drop__code=code, drop__status__in=PUBLIC).values_list(
        "id", "available"
    )
    return {int(tier): int(left) for tier, left in rows} if rows else None


async def listed() -> list[Listed]:
    """Open and upcoming drops, for search engines."""
    drops = await Drop.filter(status__in=LISTED).order_by("id")
    return [
        Listed(drop.code, max(w for w in (drop.created_at, drop.opened_at) if w)) for drop in drops
    ]


def check_image(url: str) -> str:
    """A creator's image address, as the page may show it; refused with why otherwise."""
    url = url.strip()
    if (
        not url.startswith(IMAGE_SCHEMES)
        or len(url) > IMAGE_LONGEST
        or any(c.isspace() or c in '"<>' for c in url)
    ):
        raise InvalidInput(
            f"an image is a web address (https://…) of at most {IMAGE_LONGEST} characters"
        )
    return url


async def set_image(drop_id: int, url: str | None) -> None:
    """The image a drop's page and its link previews show (None: a generated card)."""
    checked = None if url is None else check_image(url)
    if not await Drop.filter(id=drop_id).update(image_url=checked):
        raise NotFound(f"there is no drop #{drop_id}")


async def paid_hold(hold_id: int, buyer_fan_id: int | None) -> PaidHold | None:
    """What the page Stripe sends a payer back to may say about hold `hold_id`; hold ids
    are guessable, so the goods are shown only to the buyer's own browser."""
    hold = await Reservation.get_or_none(id=hold_id).select_related("tier__drop")
    if hold is None:
        return None
    mine = buyer_fan_id is not None and hold.fan_id == buyer_fan_id
    order = await Order.get_or_none(hold_id=hold.id)
    goods = None
    if (
        mine
        and order is not None
        and order.status == OrderStatus.PAID
        and hold.tier.kind != TierKind.PHYSICAL
    ):
        goods = hold.tier.content or None
    return PaidHold(
        status=str(hold.status.value),
        drop_code=hold.tier.drop.code,
        mine=mine,
        by_dm=await PlatformAccount.exists(fan_id=hold.fan_id),
        goods=goods,
        ordered=order is not None,
    )
