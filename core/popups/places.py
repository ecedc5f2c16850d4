"""The creator's pop-ups: a place and a time window where a drop's physical units are picked
up instead of shipped (several per drop), and the check a pickup hold must pass."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.drops.stock import TierState
from core.errors import InvalidInput, InvalidState, NotFound
from core.kinds import HoldStatus, TierKind
from core.models import Drop, DropTier, PickupPass, PopUp, Reservation
from core.ports import Clock
from core.times import known_zone

PLACE_LONGEST = 120  # PopUp.place


@dataclass(frozen=True, slots=True)
class PopUpView:
    id: int
    drop_id: int
    place: str
    starts_at: datetime
    ends_at: datetime
    zone: str


class PopUps:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def create(
        self, drop_id: int, place: str, starts_at: datetime, ends_at: datetime, zone: str = "UTC"
    ) -> PopUpView:
        """A pickup window for a drop with a physical tier, shown on the clock of `zone` (the
        place's); refused before anything is saved if the window ends before it starts or
        has already ended."""
        zone = known_zone(zone)
        place = " ".join(place.split())
        if not place:
            raise InvalidInput("say where the pop-up is: --place cannot be empty")
        if len(place) > PLACE_LONGEST:
            raise InvalidInput(f"the place is {len(place)} characters; keep it to {PLACE_LONGEST}")
        if ends_at <= starts_at:
            raise InvalidInput("the window must end after it starts")
        if ends_at <= self.clock.now():
            raise InvalidInput("that window has already ended")
        if not await Drop.exists(id=drop_id):
            raise NotFound(f"there is no drop #{drop_id}")
        if not await DropTier.exists(drop_id=drop_id, kind=TierKind.PHYSICAL):
            raise InvalidState(f"drop #{drop_id} has no physical tier: there is nothing to pick up")
        made = await PopUp.create(
            drop_id=drop_id,
            place=place,
            starts_at=starts_at,
            ends_at=ends_at,
            zone=zone,
            created_at=self.clock.now(),
        )
        return _view(made)

    async def cancel(self, pop_up_id: int) -> PopUpView:
        """Remove a pop-up no fan has chosen yet: once a hold or a pass names it, the fans
        who chose it are counting on it."""
        found = await _pop_up(pop_up_id)
        chosen = (HoldStatus.HELD, HoldStatus.PAID)
        try:
            async with in_transaction():
                if await PickupPass.exists(pop_up_id=pop_up_id) or await Reservation.exists(
                    pop_up_id=pop_up_id, status__in=chosen
                ):
                    raise InvalidState(f"fans chose pop-up #{pop_up_id} already; it stays")
                await Reservation.filter(pop_up_id=pop_up_id).update(pop_up_id=None)
                await PopUp.filter(id=pop_up_id).delete()
        except IntegrityError:  # a fan chose it meanwhile (the foreign keys restrict)
            raise InvalidState(f"a fan just chose pop-up #{pop_up_id}; it stays") from None
        return _view(found)

    async def choices(self, tier_id: int) -> list[PopUpView]:
        """Where a fan buying this tier may pick up instead of shipping: the pop-ups of its
        drop whose window has not ended, if the tier is physical (else none: no question)."""
        tier = await DropTier.get_or_none(id=tier_id)
        if tier is None or tier.kind != TierKind.PHYSICAL:
            return []
        found = PopUp.filter(drop_id=tier.drop_id, ends_at__gt=self.clock.now())
        return [_view(each) for each in await found.order_by("starts_at", "id")]


async def check_pickup(tier: TierState, pop_up_id: int, now: datetime) -> None:
    """May a hold on `tier` be picked up at this pop-up? Raises with the reason to show."""
    pop_up = await PopUp.get_or_none(id=pop_up_id)
    if pop_up is None:
        raise NotFound(f"there is no pop-up #{pop_up_id}")
    if pop_up.drop_id != tier.drop_id:
        raise InvalidInput(f"pop-up #{pop_up_id} is not one of {tier.title}'s")
    if tier.kind != TierKind.PHYSICAL:
        raise InvalidInput(f"{tier.name} is not physical: there is nothing to pick up")
    if pop_up.ends_at <= now:
        raise InvalidState(f"the pop-up at {pop_up.place} has ended; choose another or shipping")


async def _pop_up(pop_up_id: int) -> PopUp:
    found = await PopUp.get_or_none(id=pop_up_id)
    if found is None:
        raise NotFound(f"there is no pop-up #{pop_up_id}")
    return found


def _view(pop_up: PopUp) -> PopUpView:
    return PopUpView(
        pop_up.id, pop_up.drop_id, pop_up.place, pop_up.starts_at, pop_up.ends_at, pop_up.zone
    )


async def pickup_words(pop_up_id: int | None) -> str | None:
    """A pickup hold's pop-up as a payment page names it; None for a hold that ships."""
    if pop_up_id is None:
        return None
    pop_up = await _pop_up(pop_up_id)
    return f"Pickup at {pop_up.place}, {window(pop_up.starts_at, pop_up.ends_at, pop_up.zone)}"


def clock_time(moment: datetime, zone: str) -> str:
    """14:02 on the clock of `zone`; a time in UTC says so."""
    local = f"{moment.astimezone(ZoneInfo(zone)):%H:%M}"
    return f"{local} UTC" if zone == "UTC" else local


def window(starts_at: datetime, ends_at: datetime, zone: str) -> str:
    """A pop-up's window as fans read it everywhere: on the clock of the place, which is
    where they will be, with the zone named ("12 Dec 14:00 to 18:00 CET")."""
    here = ZoneInfo(zone)
    start, end = starts_at.astimezone(here), ends_at.astimezone(here)
    until = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%d %b %H:%M}"
    return f"{start:%d %b %H:%M} to {until} {end:%Z}"
