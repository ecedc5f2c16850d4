"""What a fan is told about their pickup passes: the receipt's place, window and pass link,
and each pass's state in `/me`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.kinds import OrderStatus
from core.messages import Pickup
from core.models import PickupPass
from core.popups.passes import PassCodes


@dataclass(frozen=True, slots=True)
class PassState:
    """A pass as `/me` shows it. `state` is "waiting", "collected", "missed" (the window
    ended without a pickup, as the clock found: core/popups/no_shows.py) or "void" (its
    order was refunded or disputed); `resolution` what the creator did about a miss;
    `link` the pass's page, where the caller could sign it."""

    place: str
    starts_at: datetime
    ends_at: datetime
    state: str
    collected_at: datetime | None
    resolution: str | None
    link: str | None = None
    zone: str = "UTC"  # the pop-up's clock


async def pickup_of(order_id: int, codes: PassCodes) -> Pickup | None:
    """The receipt's pickup details of an order; None for an order that is no pickup."""
    found = await PickupPass.get_or_none(order_id=order_id).select_related("pop_up")
    if found is None:
        return None
    link = await codes.link(found.id, found.pop_up_id)
    pop_up = found.pop_up
    return Pickup(pop_up.place, pop_up.starts_at, pop_up.ends_at, link, pop_up.zone)


async def pass_states(order_ids: list[int], codes: PassCodes | None) -> dict[int, PassState]:
    """The passes of these orders, by order id (orders with none are left out), with their
    links if `codes` is given."""
    found = await PickupPass.filter(order_id__in=order_ids).select_related("pop_up", "order")
    return {
        each.order_id: _state(each, await codes.link(each.id, each.pop_up_id) if codes else None)
        for each in found
    }


def _state(found: PickupPass, link: str | None) -> PassState:
    if found.order.status not in (OrderStatus.PAID, OrderStatus.FLAGGED):
        state = "void"
    elif found.collected_at is not None:
        state = "collected"
    elif found.reminded_at is not None or found.resolution is not None:
        state = "missed"
    else:
        state = "waiting"
    pop_up = found.pop_up
    return PassState(
        pop_up.place,
        pop_up.starts_at,
        pop_up.ends_at,
        state,
        found.collected_at,
        found.resolution,
        link,
        pop_up.zone,
    )
