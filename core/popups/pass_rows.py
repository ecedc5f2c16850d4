"""Pickup passes written with their orders: a paid order whose hold chose a pop-up gets its
pass in the same statement batch and transaction as the order itself, so every order path
(payments settled together or alone, core/drops/settling.py and payments.py) makes exactly
one, and the unique order id keeps it one whatever the webhooks' order or repetition."""

from __future__ import annotations

from datetime import datetime

from core import sql
from core.kinds import OrderStatus

_ADD_PASSES = (
    'INSERT INTO "pickup_pass" ("order_id", "pop_up_id", "created_at") '
    'SELECT o.id, r.pop_up_id, {now} FROM "order" o JOIN "reservation" r ON r.id = o.hold_id '
    "WHERE o.id IN ({ids}) AND o.status = {paid} AND r.pop_up_id IS NOT NULL"
)


async def add_passes(order_ids: list[int], now: datetime) -> None:
    """The passes of these new orders that are pickups (inside the orders' transaction)."""
    if order_ids:
        await sql.rows(_ADD_PASSES, ids=order_ids, now=now, paid=OrderStatus.PAID.value)
