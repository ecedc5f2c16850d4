"""What paying records: the payment as a provider reported it, the order row written for it
(by hand: a burst of payments writes many at once, core/drops/settling.py), and what the
caller gets back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core import sql
from core.drops.stock import TierState
from core.events import OrderPaid
from core.kinds import OrderStatus, TierKind
from core.models import Order
from core.money import Money
from core.popups.pass_rows import add_passes


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


ORDER_COLUMNS = (
    "payment_id", "provider", "hold_id", "tier_id", "fan_id", "amount_minor", "currency",
    "status", "refund_reason", "shipping_address", "created_at",
)  # fmt: skip
_QUOTED = ", ".join(f'"{column}"' for column in ORDER_COLUMNS)
# rows of ORDER_COLUMNS' values, each row built by naming its columns (`_row`)
_INSERT = f'INSERT INTO "order" ({_QUOTED}) VALUES {{rows}} RETURNING "id", "payment_id"'


def order_fields(
    payment: PaymentReceived,
    fan_id: int,
    tier_id: int,
    now: datetime,
    paid_hold_id: int | None,
    status: OrderStatus = OrderStatus.PAID,
    refund_reason: str | None = None,
) -> dict[str, Any]:
    """An order's columns (ORDER_COLUMNS) for this payment."""
    return {
        "payment_id": payment.payment_id,
        "provider": payment.provider,
        "hold_id": paid_hold_id,
        "tier_id": tier_id,
        "fan_id": fan_id,
        "amount_minor": payment.amount.minor,
        "currency": payment.amount.currency,
        "status": status,
        "refund_reason": refund_reason,
        "shipping_address": payment.shipping_address,
        "created_at": now,
    }


async def insert_orders(orders: list[dict[str, Any]]) -> list[Order]:
    """Insert these orders in one statement, with the pickup passes of those that are
    pickups (core/popups/pass_rows.py); returns them with their ids."""
    if not orders:
        return []
    rows = [_row(fields) for fields in orders]
    ids = {row["payment_id"]: row["id"] for row in await sql.rows(_INSERT, rows=rows)}
    await add_passes(list(ids.values()), orders[0]["created_at"])
    return [Order(id=ids[fields["payment_id"]], **fields) for fields in orders]


def _row(fields: dict[str, Any]) -> tuple[object, ...]:
    """An order's values in ORDER_COLUMNS' order, each taken by its column's name (never by
    the dict's own order), as the driver takes them."""
    return tuple(_stored(fields, column) for column in ORDER_COLUMNS)


def _stored(fields: dict[str, Any], column: str) -> object:
    """A column's value as the driver takes it."""
    value = fields[column]
    if column == "status":
        return OrderStatus(value).value
    if column == "shipping_address":
        return json.dumps(value) if value else None
    return value


def delivery_of(tier: TierState) -> str | None:
    """What a receipt hands over: a digital tier's goods; nothing for a physical one."""
    return tier.content if tier.kind != TierKind.PHYSICAL else None


def paid_event(order: Order, tier: TierState, delivery: str | None, now: datetime) -> OrderPaid:
    amount = Money(order.amount_minor, order.currency)
    return OrderPaid(
        now,
        order.id,
        tier.drop_id,
        tier.tier_id,
        order.fan_id,
        amount,
        order.payment_id,
        tier.title,
        tier.name,
        delivery,
        tier.perk_id,
    )


def view(order: Order) -> OrderView:
    return OrderView(
        order.id,
        order.payment_id,
        order.hold_id,
        order.fan_id,
        order.tier_id,
        Money(order.amount_minor, order.currency),
        str(order.status),
    )
