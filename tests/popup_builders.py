"""Pop-ups made the creator's way (`core.pop_ups.create`) and pickup orders bought the fan's
way (a hold choosing the pop-up, then its payment), for the tests of the fan's and
creator's side of pop-ups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from core.app import Core
from core.drops.order_rows import PaymentReceived
from core.models import PickupPass, PopUp
from core.popups.places import PopUpView
from tests.builders import fans, open_drop, tier
from tests.unit.state import database_state

PLACE = "Hall 4, Lyon"


@dataclass(frozen=True)
class Stall:
    drop_id: int
    tier_id: int  # physical
    digital_tier_id: int
    pop_up: PopUpView


async def stall(core: Core, *, place: str = PLACE, hours: int = 4, stock: int = 10) -> Stall:
    """An open drop with a physical and a digital tier, and a pop-up whose window opens in
    an hour and lasts `hours`."""
    drop = await open_drop(
        core, tier("Signed print", stock=stock), tier("Album", kind="digital", stock=stock)
    )
    starts = core.clock.now() + timedelta(hours=1)
    made = await core.pop_ups.create(drop.id, place, starts, starts + timedelta(hours=hours))
    return Stall(drop.id, drop.tiers[0].id, drop.tiers[1].id, made)


async def bought(core: Core, where: Stall, fan_id: int, payment_id: str | None = None) -> int:
    """The fan chose the pop-up and paid: their order's id."""
    hold = await core.holds.reserve(where.tier_id, fan_id, pop_up_id=where.pop_up.id)
    paid = PaymentReceived(payment_id or f"pi_{hold.id}", "stripe", hold.id, hold.price)
    return (await core.payments.settle(paid)).id


async def a_fan() -> int:
    [fan] = await fans(1)
    return fan


async def passes() -> list[tuple[int, int]]:
    """(order, pop-up) of every pass."""
    return await PickupPass.all().order_by("id").values_list("order_id", "pop_up_id")  # type: ignore[return-value]


async def everything() -> dict[str, Any]:
    """The selling state with the pop-ups and passes: a refusal changes none of it."""
    return {
        **await database_state(),
        "PopUp": await PopUp.all().order_by("id").values(),
        "PickupPass": await PickupPass.all().order_by("id").values(),
    }
