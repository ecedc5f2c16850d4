"""The creator's side of orders: what to ship, marking it shipped, refunding on request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.bus import EventBus
from core.drops.payments import Payments
from core.errors import InvalidState, NotFound
from core.events import OrderShipped
from core.kinds import OrderStatus, TierKind
from core.models import Order
from core.money import Money
from core.ports import Clock


@dataclass(frozen=True, slots=True)
class OrderLine:
    id: int
    created_at: datetime
    title: str
    tier_name: str
    kind: str
    fan: str
    amount: Money
    status: str
    ships_to: str | None
    shipped_at: datetime | None
    delivered_at: datetime | None


class Orders:
    def __init__(self, clock: Clock, bus: EventBus, payments: Payments) -> None:
        self.clock = clock
        self.bus = bus
        self.payments = payments

    async def list(self, *, to_ship: bool = False) -> list[OrderLine]:
        query = Order.all().select_related("tier__drop", "fan").order_by("id")
        if to_ship:
            query = query.filter(
                status=OrderStatus.PAID, shipped_at__isnull=True, tier__kind=TierKind.PHYSICAL
            )
        return [_line(order) for order in await query]

    async def get(self, order_id: int) -> OrderLine:
        return _line(await _order(order_id))

    async def ship(self, order_id: int) -> OrderLine:
        """Mark a paid physical order shipped, once, and tell the fan it is on its way."""
        order = await _order(order_id)
        if order.tier.kind != TierKind.PHYSICAL:
            raise InvalidState(f"order #{order_id} is {order.tier.kind}: there is nothing to ship")
        if order.status != OrderStatus.PAID:
            raise InvalidState(f"order #{order_id} is {order.status}; only paid orders ship")
        now = self.clock.now()
        async with self.bus.transaction() as changes:
            shipped = await Order.filter(
                id=order_id, status=OrderStatus.PAID, shipped_at__isnull=True
            ).update(shipped_at=now)
            if not shipped:
                raise InvalidState(f"order #{order_id} was already marked shipped")
            changes.add(
                OrderShipped(now, order.id, order.fan_id, order.tier.drop.title, order.tier.name)
            )
        return _line(await _order(order_id))

    async def refund(self, order_id: int, reason: str, *, restock: bool = False) -> OrderLine:
        """Give a paid (or flagged) order's money back; its unit goes back on sale only if
        asked."""
        order = await _order(order_id)
        if order.status not in (OrderStatus.PAID, OrderStatus.FLAGGED):
            raise InvalidState(f"order #{order_id} is {order.status}; only paid orders refund")
        await self.payments.refund(order.id, reason or "refunded by the creator", restock=restock)
        return _line(await _order(order_id))


async def payer_of(payment_id: str) -> int:
    """The fan who made a payment: a provider that refunds to an account (Telegram Stars)
    needs theirs."""
    order = await Order.get_or_none(payment_id=payment_id)
    if order is None:
        raise NotFound(f"there is no order paid by {payment_id}")
    return order.fan_id


async def _order(order_id: int) -> Order:
    order = await Order.get_or_none(id=order_id).select_related("tier__drop", "fan")
    if order is None:
        raise NotFound(f"there is no order #{order_id}")
    return order


def _line(order: Order) -> OrderLine:
    address = order.shipping_address or {}
    ships_to = ", ".join(p for p in (address.get("city"), address.get("country")) if p) or None
    return OrderLine(
        id=order.id,
        created_at=order.created_at,
        title=order.tier.drop.title,
        tier_name=order.tier.name,
        kind=str(order.tier.kind),
        fan=order.fan.display_name,
        amount=Money(order.amount_minor, order.currency),
        status=str(order.status),
        ships_to=ships_to,
        shipped_at=order.shipped_at,
        delivered_at=order.delivered_at,
    )
