"""A pickup pass as the people at a pop-up see it: whose, what, where, and whether it may
still be handed over."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.kinds import OrderStatus
from core.models.popups import PickupPass

REFUNDED = (OrderStatus.REFUND_PENDING, OrderStatus.REFUNDED)
RELATED = ("order__fan", "order__tier__drop", "pop_up")


class PassStatus(StrEnum):
    WAITING = "waiting"
    COLLECTED = "collected"
    REFUNDED = "refunded"
    SHIPPED = "shipped"  # the creator shipped it instead (a no-show)
    UNPAID = "unpaid"  # the order is flagged or disputed: the creator decides first


@dataclass(frozen=True, slots=True)
class PassView:
    id: int
    pop_up_id: int
    place: str
    starts_at: datetime
    ends_at: datetime
    drop: str
    tier: str
    fan: str
    quantity: int  # an order is one unit
    status: PassStatus
    collected_at: datetime | None
    collected_by: str | None
    zone: str  # the pop-up's clock


async def pass_view(pass_id: int, pop_up_id: int) -> PassView | None:
    found = await PickupPass.get_or_none(id=pass_id, pop_up_id=pop_up_id).select_related(*RELATED)
    return None if found is None else view_of(found)


def view_of(found: PickupPass) -> PassView:
    """`found` with its order's fan and tier and its pop-up fetched (`RELATED`)."""
    order, pop_up = found.order, found.pop_up
    return PassView(
        id=found.id,
        pop_up_id=found.pop_up_id,
        place=pop_up.place,
        starts_at=pop_up.starts_at,
        ends_at=pop_up.ends_at,
        drop=order.tier.drop.title,
        tier=order.tier.name,
        fan=order.fan.display_name,
        quantity=1,
        status=_status(found),
        collected_at=found.collected_at,
        collected_by=found.collected_by,
        zone=pop_up.zone,
    )


def _status(found: PickupPass) -> PassStatus:
    if found.collected_at is not None:
        return PassStatus.COLLECTED
    if found.order.status in REFUNDED or found.resolution == "refunded":
        return PassStatus.REFUNDED
    if found.resolution == "shipped":
        return PassStatus.SHIPPED
    if found.order.status != OrderStatus.PAID:
        return PassStatus.UNPAID
    return PassStatus.WAITING
