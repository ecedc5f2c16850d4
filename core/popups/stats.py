"""Pickups per pop-up, for `dropcast stats popups` and the dashboard's drops page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.kinds import OrderStatus
from core.models import PickupPass, PopUp
from core.popups.no_shows import REFUNDED, SHIPPED


@dataclass(frozen=True, slots=True)
class PopUpStats:
    """`expected` counts passes whose order still stands (or was resolved after a miss);
    `no_shows` those of an ended window never collected; `no_show_rate` is None until the
    window has ended."""

    pop_up_id: int
    drop_id: int
    title: str
    place: str
    starts_at: datetime
    ends_at: datetime
    zone: str
    expected: int
    collected: int
    no_shows: int
    no_show_rate: float | None
    shipped_after: int
    refunded_after: int


async def pop_up_stats(now: datetime, drop_id: int | None = None) -> list[PopUpStats]:
    pop_ups = PopUp.all() if drop_id is None else PopUp.filter(drop_id=drop_id)
    found = await pop_ups.select_related("drop").order_by("starts_at", "id")
    passes = await PickupPass.filter(pop_up_id__in=[each.id for each in found]).select_related(
        "order"
    )
    return [_stats(each, [p for p in passes if p.pop_up_id == each.id], now) for each in found]


def _stats(pop_up: PopUp, passes: list[PickupPass], now: datetime) -> PopUpStats:
    standing = [p for p in passes if p.resolution is not None or p.order.status == OrderStatus.PAID]
    ended = pop_up.ends_at <= now
    collected = sum(1 for p in standing if p.collected_at is not None)
    missed = len(standing) - collected if ended else 0
    return PopUpStats(
        pop_up.id,
        pop_up.drop_id,
        pop_up.drop.title,
        pop_up.place,
        pop_up.starts_at,
        pop_up.ends_at,
        pop_up.zone,
        expected=len(standing),
        collected=collected,
        no_shows=missed,
        no_show_rate=(missed / len(standing) if standing else 0.0) if ended else None,
        shipped_after=sum(1 for p in standing if p.resolution == SHIPPED),
        refunded_after=sum(1 for p in standing if p.resolution == REFUNDED),
    )
