"""The list of a pop-up's expected pickups, for staff to tick off on paper or keep on a phone
when the connection fails."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.errors import NotFound
from core.models.popups import PickupPass, PopUp
from core.popups.pass_views import RELATED, PassView, view_of


@dataclass(frozen=True, slots=True)
class PickupList:
    pop_up_id: int
    place: str
    starts_at: datetime
    ends_at: datetime
    zone: str
    passes: list[PassView]  # by fan name, as a paper list is searched


async def pickup_list(pop_up_id: int) -> PickupList:
    pop_up = await PopUp.get_or_none(id=pop_up_id)
    if pop_up is None:
        raise NotFound(f"no pop-up #{pop_up_id}")
    found = await PickupPass.filter(pop_up_id=pop_up_id).select_related(*RELATED)
    passes = sorted((view_of(each) for each in found), key=lambda p: (p.fan.casefold(), p.id))
    return PickupList(
        pop_up.id, pop_up.place, pop_up.starts_at, pop_up.ends_at, pop_up.zone, passes
    )
