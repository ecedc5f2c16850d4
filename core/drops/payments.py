"""Settling holds with payments: exactly one order per payment id, whatever arrives when.

A payment for a hold that is still held pays it, at the price the hold was placed at (a
member's is their member price). A payment for a hold that lapsed (or was
already paid by another payment) takes a fresh unit if one is free and the fan is within
their limit; otherwise the money goes back and the fan is told why (invariant 2). A payment
of the wrong amount is flagged for the creator and not fulfilled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from tortoise.exceptions import IntegrityError

from core import sql
from core.bus import Changes, EventBus
from core.drops import stock
from core.drops.order_rows import (
    OrderView,
    PaymentReceived,
    delivery_of,
    insert_orders,
    order_fields,
    paid_event,
    view,
)
from core.drops.settling import Settling
from core.drops.stock import TierState
from core.errors import InvalidState, NotFound, ProviderUnreachable
from core.events import (
    DomainEvent,
    OrderRestored,
    OrderReversed,
    PaymentFlagged,
    PaymentRefunded,
)
from core.kinds import DropStatus, HoldStatus, OrderStatus
from core.models import Order
from core.money import Money
from core.ports import Clock, Refunds

log = structlog.get_logger(__name__)


# in one statement: whose hold the payment names, its tier, and any order for the payment
_SETTLING = (
    f"SELECT r.fan_id, r.pop_up_id, o.id AS order_id, {stock.HELD_PRICE}, {stock.TIER_COLUMNS} "
    'FROM "reservation" r '
    'JOIN "drop_tier" t ON t.id = r.tier_id JOIN "drop" d ON d.id = t.drop_id '
    'LEFT JOIN "order" o ON o.payment_id = {payment_id} WHERE r.id = {hold_id}'
)


@dataclass(frozen=True, slots=True)
class Held:
    """The tier a payment's hold is on, the price the hold was placed at, and the pop-up
    its fan chose to pick up at (None: it ships)."""

    tier: TierState
    price: Money
    pop_up_id: int | None = None


class Payments:
    def __init__(self, clock: Clock, bus: EventBus, refunds: Mapping[str, Refunds]) -> None:
        self.clock = clock
        self.bus = bus
        self.refunds = refunds
        self._settling = Settling(clock, bus, self.settle_alone)

    async def settle(self, payment: PaymentReceived) -> OrderView:
        """Record a paid payment; calling it again with the same payment id changes nothing.
        Payments arriving together are settled together (core/drops/settling.py)."""
        return await self._settling.settle(payment)

    async def settle_alone(self, payment: PaymentReceived) -> OrderView:
        """`settle` for one payment, whatever its case."""
        found = await sql.rows(_SETTLING, payment_id=payment.payment_id, hold_id=payment.hold_id)
        if not found:
            raise NotFound(
                f"payment {payment.payment_id} names no hold we know (#{payment.hold_id})"
            )
        if found[0]["order_id"] is not None:
            existing = await Order.get(id=found[0]["order_id"])
            if existing.status == OrderStatus.REFUND_PENDING:
                await self._refund(existing)
            return view(existing)
        fan_id, tier = int(found[0]["fan_id"]), stock.tier_from_row(found[0])
        held = Held(tier, stock.held_price(found[0]["held_minor"], tier), found[0]["pop_up_id"])
        now = self.clock.now()
        try:
            order = await self._record(payment, fan_id, held, now)
        except IntegrityError:
            # the same payment recorded concurrently, or the fan's free slot taken meanwhile
            if (same := await Order.get_or_none(payment_id=payment.payment_id)) is not None:
                return view(same)
            order = await self._record(payment, fan_id, held, now)
        if order.status == OrderStatus.REFUND_PENDING:
            await self._refund(order)
        return view(order)

    async def _record(
        self, payment: PaymentReceived, fan_id: int, held: Held, now: datetime
    ) -> Order:
        """The order for this payment, in one transaction with the unit it takes and what
        the fan is owed (the receipt, the goods)."""
        tier = held.tier
        async with self.bus.transaction() as changes:
            order = await self._take_unit(payment, fan_id, held, now, changes)
            if order.status == OrderStatus.PAID:
                changes.events.insert(0, paid_event(order, tier, delivery_of(tier), now))
            elif order.status == OrderStatus.FLAGGED:
                changes.add(_flagged(order, held.price, now))
        return order

    async def _take_unit(
        self,
        payment: PaymentReceived,
        fan_id: int,
        held: Held,
        now: datetime,
        changes: Changes,
    ) -> Order:
        tier = held.tier
        paid = (payment, fan_id, tier.tier_id, now)
        if payment.amount != held.price:
            return await _order(order_fields(*paid, paid_hold_id=None, status=OrderStatus.FLAGGED))
        if await stock.end_hold(payment.hold_id, HoldStatus.PAID, now):
            return await _order(order_fields(*paid, paid_hold_id=payment.hold_id))
        # the hold lapsed or was paid already: this payment needs a unit of its own
        slot = await stock.free_slot(tier, fan_id)
        if slot is None:
            return await _refunded(paid, "you already have the most one fan can buy")
        left = await stock.take_unit(tier.tier_id)
        if left is None:
            return await _refunded(paid, await _why_no_unit(tier.tier_id))
        fresh = await stock.new_hold(
            tier.tier_id, fan_id, slot, now, 0, held.price, status=HoldStatus.PAID,
            pop_up_id=held.pop_up_id,
        )  # fmt: skip
        if left == 0:
            changes.add(*await stock.sell_out(tier.drop_id, tier.title, now))
        return await _order(order_fields(*paid, paid_hold_id=fresh.id))

    async def refund(self, order_id: int, reason: str, *, restock: bool = False) -> None:
        """Give a paid or flagged order's money back at the creator's request, once. The unit
        leaves the fan at once and goes back on sale only with `restock`."""
        order = await Order.get(id=order_id).select_related("tier__drop")
        now = self.clock.now()
        async with self.bus.transaction() as changes:
            claimed = await Order.filter(
                id=order.id, status__in=(OrderStatus.PAID, OrderStatus.FLAGGED)
            ).update(status=OrderStatus.REFUND_PENDING, refund_reason=reason[:120])
            if not claimed:
                raise InvalidState(f"order #{order_id} is no longer paid; nothing to refund")
            ended = order.hold_id is not None and await _end_paid_hold(order.hold_id, now)
            if ended and restock:
                tier = await stock.tier_state(order.tier_id)
                changes.add(*await stock.give_back(tier, now) if tier else [])
        order.status, order.refund_reason = OrderStatus.REFUND_PENDING, reason[:120]
        await self._refund(order)

    async def reverse(self, payment_id: str, status: OrderStatus) -> OrderView | None:
        """A refund or dispute made at the provider: the order becomes `status` once; a unit
        the refund takes back is not put back on sale (the creator decides that). None if
        there is no order for the payment."""
        if status not in (OrderStatus.REFUNDED, OrderStatus.DISPUTED):
            raise ValueError(f"an order is reversed as refunded or disputed, not {status}")
        order = await Order.get_or_none(payment_id=payment_id)
        if order is None:
            return None
        if status == OrderStatus.REFUNDED and order.status == OrderStatus.REFUND_PENDING:
            await self._mark_refunded(order)  # our own refund, reported back by the provider
        elif order.status in (OrderStatus.PAID, OrderStatus.FLAGGED):
            await self._reverse(order, status)
        return view(order)

    async def _reverse(self, order: Order, status: OrderStatus) -> None:
        was, now = order.status, self.clock.now()
        async with self.bus.transaction() as changes:
            if not await Order.filter(id=order.id, status=was).update(status=status):
                return
            if status == OrderStatus.REFUNDED and order.hold_id is not None:
                await _end_paid_hold(order.hold_id, now)
            order.status = status
            changes.add(*_given_back(order, now))

    async def recorded(self, payment_ids: list[str]) -> set[str]:
        """Which of these payments already have their order (a reconcile skips them)."""
        found = await Order.filter(payment_id__in=payment_ids).values_list("payment_id", flat=True)
        return {str(payment_id) for payment_id in found}

    async def restore(self, payment_id: str) -> OrderView | None:
        """A dispute closed with the money kept: the disputed order is what it was before,
        once (paid, or flagged if it never had a unit), and a paid one gives again what the
        dispute took back. None if there is no order for the payment."""
        order = await Order.get_or_none(payment_id=payment_id)
        if order is None:
            return None
        was = OrderStatus.PAID if order.hold_id is not None else OrderStatus.FLAGGED
        async with self.bus.transaction() as changes:
            if await Order.filter(id=order.id, status=OrderStatus.DISPUTED).update(status=was):
                order.status = was
                if was == OrderStatus.PAID:
                    changes.add(OrderRestored(self.clock.now(), order.id, order.fan_id))
        return view(order)

    async def retry_refunds(self) -> int:
        """Finish refunds whose provider call failed earlier (the order says refund_pending);
        how many were finished. One that still cannot be made waits for the next tick
        without holding up the others, nor the rest of the clock's work."""
        finished = 0
        for order in await Order.filter(status=OrderStatus.REFUND_PENDING):
            try:
                await self._refund(order)
            except ConnectionError as error:  # ProviderUnreachable, NotConfigured
                log.warning("refund_still_waiting", order=order.id, reason=str(error))
                continue
            finished += 1
        return finished

    async def _refund(self, order: Order) -> None:
        """Return the money through the provider (idempotent there), then say so once."""
        provider = self.refunds.get(order.provider)
        if provider is None:
            raise ProviderUnreachable(f"no {order.provider} refunds are set up; the refund waits")
        amount = Money(order.amount_minor, order.currency)
        await provider.refund(order.payment_id, amount, order.refund_reason or "refunded")
        await self._mark_refunded(order)

    async def _mark_refunded(self, order: Order) -> None:
        async with self.bus.transaction() as changes:
            changed = await Order.filter(id=order.id, status=OrderStatus.REFUND_PENDING).update(
                status=OrderStatus.REFUNDED
            )
            order.status = OrderStatus.REFUNDED
            if changed:
                changes.add(*_given_back(order, self.clock.now()))


def _given_back(order: Order, now: datetime) -> list[DomainEvent]:
    """What a refund or dispute means: an order that had a unit is reversed (what it granted
    is taken back); a payment that never became one was simply returned."""
    amount = Money(order.amount_minor, order.currency)
    if order.hold_id is not None:
        reason = order.refund_reason or (
            "disputed" if order.status == OrderStatus.DISPUTED else "refunded by the creator"
        )
        return [
            OrderReversed(
                now,
                order.id,
                order.tier_id,
                order.fan_id,
                amount,
                order.payment_id,
                str(order.status),
                reason,
            )
        ]
    if order.status == OrderStatus.REFUNDED:
        reason = order.refund_reason or "refunded by the creator"
        return [PaymentRefunded(now, order.payment_id, order.fan_id, order.tier_id, amount, reason)]
    return []


async def _end_paid_hold(hold_id: int, now: datetime) -> bool:
    """The refunded fan no longer has the unit, and their per-fan slot is free again."""
    return await stock.end_hold(hold_id, HoldStatus.REFUNDED, now, was=HoldStatus.PAID)


async def _why_no_unit(tier_id: int) -> str:
    tier = await stock.tier_state(tier_id)
    if tier is not None and tier.status == DropStatus.CANCELLED:
        return f"{tier.title} was cancelled"
    if tier is not None and tier.status == DropStatus.CLOSED:
        return f"{tier.title} had closed"
    return "the item sold out first"


def _flagged(order: Order, price: Money, now: datetime) -> PaymentFlagged:
    amount = Money(order.amount_minor, order.currency)
    return PaymentFlagged(
        now, order.id, order.payment_id, order.fan_id, order.tier_id, amount, price
    )


async def _order(fields: dict[str, Any]) -> Order:
    [order] = await insert_orders([fields])
    return order


async def _refunded(paid: tuple[PaymentReceived, int, int, datetime], reason: str) -> Order:
    """A payment that gets no unit: recorded, and its money goes straight back."""
    fields = order_fields(
        *paid, paid_hold_id=None, status=OrderStatus.REFUND_PENDING, refund_reason=reason
    )
    return await _order(fields)
