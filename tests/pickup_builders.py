"""Pop-ups and paid pickup orders with their passes, made the creator's and the fan's way,
for the tests of what happens at the pop-up (the scan page, the pass page, the bots' /scan,
the lists)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core.app import Core
from core.drops.order_rows import PaymentReceived
from core.fans import fan_for
from core.kinds import Platform
from core.models import DropTier, PickupPass
from tests.builders import open_drop, tier


@dataclass(frozen=True)
class Pickup:
    pass_id: int
    order_id: int
    code: str  # the pass's signed code, as on its QR code and page


async def pop_up(core: Core, place: str = "Hall 4, Lyon", *, hours: int = 4) -> int:
    """A pop-up of a new drop with a physical tier, its window open from now."""
    drop = await open_drop(core, tier("Signed print", stock=20))
    now = core.clock.now()
    return (await core.pop_ups.create(drop.id, place, now, now + timedelta(hours=hours))).id


async def pickup(core: Core, pop_up_id: int, fan: str = "Ada") -> Pickup:
    """`fan` chose to pick up the pop-up's drop's tier there, and paid."""
    [sold] = await DropTier.filter(drop__pop_ups__id=pop_up_id)
    fan_id = await fan_for(Platform.SANDBOX, f"fan-{fan}", fan)
    hold = await core.holds.reserve(sold.id, fan_id, pop_up_id=pop_up_id)
    paid = PaymentReceived(f"pi_{hold.id}", "stripe", hold.id, hold.price)
    order = await core.payments.settle(paid)
    found = await PickupPass.get(order_id=order.id)
    return Pickup(found.id, order.id, await core.pass_codes.code(found.id, pop_up_id))


def tampered(code: str) -> str:
    """The code with one character of its signed part changed."""
    flipped = "A" if code[0] != "A" else "B"
    return flipped + code[1:]
