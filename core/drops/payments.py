"""Settling holds with payments: exactly one order per payment id, whatever arrives when.

A payment for a hold that is still held pays it. A payment for a hold that lapsed (or was
already paid by another payment) takes a fresh unit if one is free; otherwise, and when
the amount is not the price, the money goes back and the fan is told (invariant 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core import sql
from core.bus import EventBus
from core.drops import stock
from core.drops.stock import TierState
from core.errors import NotFound
from core.events import DomainEvent, OrderPaid, OrderReversed, PaymentRefunded
from core.models import HoldStatus, Order, OrderStatus, TierKind
from core.money import Money
from core.ports import Clock, Refunds


@dataclass(frozen=True, slots=True)
class PaymentReceived:
    payment_id: str
    provider: str
    hold_id: int
    amount: Money
    shipping_address: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class OrderView:
    id: int
    payment_id: str
    hold_id: int | None
    fan_id: int
    tier_id: int
    amount: Money
    status: str


_ORDER_EXISTS = 'SELECT "id" FROM "order" WHERE "payment_id" = {0}'
_HOLD_OWNER = 'SELECT "fan_id", "tier_id" FROM "reservation" WHERE "id" = {0}'


class Payments:
    def __init__(self, clock: Clock, bus: EventBus, refunds: Refunds) -> None:
        self.clock = clock
        self.bus = bus
        self.refunds = refunds

    async def settle(self, payment: PaymentReceived) -> OrderView:
        """Record a paid payment; calling it again with the same payment id changes nothing."""
        if await sql.rows(_ORDER_EXISTS, payment.payment_id):
            existing = await Order.get(payment_id=payment.payment_id)
            if existing.status == OrderStatus.REFUND_PENDING:
                await self._refund(existing)
            return _view(existing)
        holds = await sql.rows(_HOLD_OWNER, payment.hold_id)
        tier = await stock.tier_state(holds[0]["tier_id"]) if holds else None
        if tier is None:
            raise NotFound(
                f"payment {payment.payment_id} names no hold we know (#{payment.hold_id})"
            )
        fan_id = int(holds[0]["fan_id"])
        now = self.clock.now()
        try:
            order = await self._record(payment, fan_id, tier, now)
        except IntegrityError:  # the same payment id was recorded concurrently
            return _view(await Order.get(payment_id=payment.payment_id))
        if order.status == OrderStatus.REFUND_PENDING:
            await self._refund(order)
        else:
            event = OrderPaid(
                now,
                order.id,
                tier.drop_id,
                tier.tier_id,
                fan_id,
                payment.amount,
                payment.payment_id,
                tier.title,
                tier.name,
                tier.content if tier.kind != TierKind.PHYSICAL else None,
            )
            await self.bus.publish(event)
        return _view(order)

    async def _record(
        self, payment: PaymentReceived, fan_id: int, tier: TierState, now: datetime
    ) -> Order:
        paid = (payment, fan_id, tier.tier_id, now)
        async with in_transaction():
            if payment.amount != tier.price:
                return await _order(*paid, None, refund="the amount paid differs")
            if await stock.end_hold(payment.hold_id, HoldStatus.PAID, now):
                return await _order(*paid, payment.hold_id)
            if await stock.take_unit(tier.tier_id) is not None:
                fresh = await stock.new_hold(
                    tier.tier_id, fan_id, None, now, 0, status=HoldStatus.PAID
                )
                return await _order(*paid, fresh.id)
            return await _order(*paid, None, refund="the item sold out first")

    async def reverse(self, payment_id: str, status: OrderStatus) -> OrderView | None:
        """A refund or dispute made at the provider: the paid order becomes `status` once;
        the unit is not put back on sale (the creator decides that). None if no order."""
        if status not in (OrderStatus.REFUNDED, OrderStatus.DISPUTED):
            raise ValueError(f"an order is reversed as refunded or disputed, not {status}")
        order = await Order.get_or_none(payment_id=payment_id).select_related("tier")
        if order is None:
            return None
        changed = await Order.filter(id=order.id, status=OrderStatus.PAID).update(status=status)
        if changed:
            order.status = status
            event = OrderReversed(
                self.clock.now(),
                order.id,
                order.tier.drop_id,
                order.tier_id,
                order.fan_id,
                Money(order.amount_minor, order.currency),
                payment_id,
                status.value,
            )
            await self.bus.publish(event)
        return _view(order)

    async def retry_refunds(self) -> int:
        """Finish refunds whose provider call failed earlier (the order says refund_pending)."""
        pending = await Order.filter(status=OrderStatus.REFUND_PENDING)
        for order in pending:
            await self._refund(order)
        return len(pending)

    async def _refund(self, order: Order) -> None:
        amount = Money(order.amount_minor, order.currency)
        reason = order.refund_reason or "refunded"
        await self.refunds.refund(order.payment_id, amount, reason)
        await Order.filter(id=order.id, status=OrderStatus.REFUND_PENDING).update(
            status=OrderStatus.REFUNDED
        )
        order.status = OrderStatus.REFUNDED
        event: DomainEvent = PaymentRefunded(
            self.clock.now(),
            order.payment_id,
            order.fan_id,
            order.tier_id,
            amount,
            reason,
        )
        await self.bus.publish(event)


async def _order(
    payment: PaymentReceived,
    fan_id: int,
    tier_id: int,
    now: datetime,
    paid_hold_id: int | None,
    *,
    refund: str | None = None,
) -> Order:
    return await Order.create(
        payment_id=payment.payment_id,
        provider=payment.provider,
        hold_id=paid_hold_id,
        tier_id=tier_id,
        fan_id=fan_id,
        amount_minor=payment.amount.minor,
        currency=payment.amount.currency,
        status=OrderStatus.REFUND_PENDING if refund else OrderStatus.PAID,
        refund_reason=refund,
        shipping_address=payment.shipping_address,
        created_at=now,
    )


def _view(order: Order) -> OrderView:
    return OrderView(
        order.id,
        order.payment_id,
        order.hold_id,
        order.fan_id,
        order.tier_id,
        Money(order.amount_minor, order.currency),
        str(order.status),
    )
