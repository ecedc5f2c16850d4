"""After a pop-up's window: the passes never collected are no-shows. Each fan is told once
(the clock's tick, a conditional update on `reminded_at`), and the creator ships or refunds
each once (a conditional update on `resolution`, then the existing shipping or refund path:
claim, then act)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.bus import EventBus
from core.errors import InvalidInput, InvalidState, NotFound
from core.events import PickupMissed
from core.kinds import OrderStatus
from core.models import Order, PickupPass, PopUp
from core.orders import OrderLine, Orders
from core.popups.passes import PassCodes
from core.ports import Clock

ADDRESS_LONGEST = 300
SHIPPED, REFUNDED = "shipped", "refunded"


@dataclass(frozen=True, slots=True)
class NoShow:
    pass_id: int
    order_id: int
    fan: str
    tier_name: str
    reminded_at: datetime | None
    resolution: str | None
    order_status: str


class NoShows:
    def __init__(self, clock: Clock, bus: EventBus, orders: Orders, codes: PassCodes) -> None:
        self.clock = clock
        self.bus = bus
        self.orders = orders
        self.codes = codes

    async def remind_due(self) -> int:
        """Tell each fan whose pop-up ended without their pickup, once: the DM's notice is
        written with the conditional update that marks the pass reminded."""
        now = self.clock.now()
        due = await PickupPass.filter(
            reminded_at__isnull=True,
            collected_at__isnull=True,
            resolution__isnull=True,
            pop_up__ends_at__lte=now,
            order__status=OrderStatus.PAID,
        ).select_related("pop_up__drop", "order")
        told = 0
        for found in due:
            async with self.bus.transaction() as changes:
                if await PickupPass.filter(
                    id=found.id, reminded_at__isnull=True, collected_at__isnull=True
                ).update(reminded_at=now):
                    changes.add(
                        PickupMissed(
                            now,
                            found.id,
                            found.order_id,
                            found.order.fan_id,
                            found.pop_up.drop.title,
                            found.pop_up.place,
                        )
                    )
                    told += 1
        return told

    async def of_pop_up(self, pop_up_id: int) -> list[NoShow]:
        """The passes of an ended pop-up never collected (void ones, refunded before the
        window ended, are not no-shows)."""
        pop_up = await PopUp.get_or_none(id=pop_up_id)
        if pop_up is None:
            raise NotFound(f"there is no pop-up #{pop_up_id}")
        if pop_up.ends_at > self.clock.now():
            raise InvalidState(
                f"pop-up #{pop_up_id} has not ended yet ({pop_up.ends_at:%H:%M} UTC)"
            )
        found = (
            await PickupPass.filter(pop_up_id=pop_up_id, collected_at__isnull=True)
            .order_by("id")
            .select_related("order__fan", "order__tier")
        )
        return [
            NoShow(
                each.id,
                each.order_id,
                each.order.fan.display_name,
                each.order.tier.name,
                each.reminded_at,
                each.resolution,
                str(each.order.status),
            )
            for each in found
            if each.resolution is not None or each.order.status == OrderStatus.PAID
        ]

    async def ship(self, ref: str, address: str) -> OrderLine:
        """Ship a no-show's order to `address` instead: recorded on the order, then marked
        shipped through the existing path (the fan is told it is on its way)."""
        address = " ".join(address.split())
        if not address:
            raise InvalidInput("say where to ship it: --address cannot be empty")
        if len(address) > ADDRESS_LONGEST:
            raise InvalidInput(f"the address is {len(address)} characters; keep it to 300")
        found = await self._no_show(ref)
        await self._claim(found, SHIPPED)
        try:
            await Order.filter(id=found.order_id).update(shipping_address={"line1": address})
            return await self.orders.ship(found.order_id)
        except InvalidState:  # refunded meanwhile: as it was, so the creator may choose again
            await Order.filter(id=found.order_id).update(
                shipping_address=found.order.shipping_address
            )
            await self._let_go(found)
            raise

    async def refund(self, ref: str) -> OrderLine:
        """Refund a no-show's order through the existing refund path (the fan is told)."""
        found = await self._no_show(ref)
        await self._claim(found, REFUNDED)
        try:
            return await self.orders.refund(
                found.order_id, f"not picked up at {found.pop_up.place}"
            )
        except InvalidState:  # refunded meanwhile by `dropcast order refund`
            await self._let_go(found)
            raise

    async def order_of(self, ref: str) -> int:
        """The order a pass or order reference names."""
        return (await self._named(ref)).order_id

    async def _no_show(self, ref: str) -> PickupPass:
        """The pass `ref` names (an order number, or a pass code or link), if it is a no-show
        the creator may still resolve; else a clear refusal."""
        found = await self._named(ref)
        if found.collected_at is not None:
            raise InvalidState(
                f"pass #{found.id} was collected at {found.collected_at:%H:%M} UTC; nothing to do"
            )
        if found.pop_up.ends_at > self.clock.now():
            raise InvalidState(f"the pop-up at {found.pop_up.place} has not ended yet")
        if found.resolution is not None:
            raise InvalidState(f"order #{found.order_id} was {found.resolution} already")
        if found.order.status != OrderStatus.PAID:
            raise InvalidState(f"order #{found.order_id} is {found.order.status}, not paid")
        if found.order.shipped_at is not None:
            raise InvalidState(f"order #{found.order_id} was marked shipped already")
        return found

    async def _named(self, ref: str) -> PickupPass:
        text = ref.strip()
        if text.isdigit() and len(text) < 10:
            found = await PickupPass.get_or_none(order_id=int(text))
            if found is None:
                raise NotFound(f"order #{text} has no pickup pass")
        else:
            code = await self.codes.read(text)
            found = None if code is None else await PickupPass.get_or_none(id=code.pass_id)
            if found is None:
                raise NotFound("that is neither an order number nor a pass of ours")
        await found.fetch_related("pop_up", "order")
        return found

    async def _claim(self, found: PickupPass, resolution: str) -> None:
        claimed = await PickupPass.filter(
            id=found.id, resolution__isnull=True, collected_at__isnull=True
        ).update(resolution=resolution, resolved_at=self.clock.now())
        if not claimed:
            raise InvalidState(f"order #{found.order_id} was collected or resolved just now")

    async def _let_go(self, found: PickupPass) -> None:
        """The shipping or refund path refused a claimed pass: the claim is let go."""
        await PickupPass.filter(id=found.id).update(resolution=None, resolved_at=None)
