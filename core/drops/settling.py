"""Payments that arrive together are settled together.

A burst of payments (the end of a drop's rush, a backlog of webhooks after an outage) would
cost each payment its own transaction of a few statements, and settle no faster than the
database commits them one by one (bench/webhooks.py). So the plain case, a payment of the
right amount for a hold that is still held, is settled for every payment waiting at once:
one statement reads their holds, one pays the holds, one writes the orders, one their
notices, all in one transaction. Whatever is not plain (a hold that lapsed or was already
paid, a wrong amount, a payment already recorded, two payments for one hold) is settled on
its own afterwards by `Payments.settle_alone`, which knows every other case; so is every
payment of a batch whose transaction failed. The receipts and points of a batch are
delivered after its payers' callers have their answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from core import sql
from core.bus import EventBus
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
from core.drops.stock import TierState
from core.kinds import HoldStatus
from core.ports import Clock

log = structlog.get_logger(__name__)

BATCH = 200  # payments in one transaction: more only lengthen the write lock others wait on

_HOLDS = (
    f"SELECT r.id AS hold_id, r.fan_id, r.status AS hold_status, {stock.HELD_PRICE}, "
    f"{stock.TIER_COLUMNS} "
    'FROM "reservation" r JOIN "drop_tier" t ON t.id = r.tier_id '
    'JOIN "drop" d ON d.id = t.drop_id WHERE r.id IN ({ids})'
)
_RECORDED = 'SELECT "payment_id" FROM "order" WHERE "payment_id" IN ({ids})'
# the first statement of the transaction is this write (core/drops/stock.py)
_PAY_HOLDS = (
    'UPDATE "reservation" SET "status" = {status}, "ended_at" = {now} '
    'WHERE "status" = {was} AND "id" IN ({ids}) RETURNING "id"'
)


@dataclass(slots=True)
class _Waiting:
    payment: PaymentReceived
    answer: asyncio.Future[OrderView]


@dataclass(frozen=True, slots=True)
class _Plain:
    waiting: _Waiting
    fan_id: int
    tier: TierState


class Settling:
    def __init__(
        self,
        clock: Clock,
        bus: EventBus,
        settle_alone: Callable[[PaymentReceived], Awaitable[OrderView]],
    ) -> None:
        self.clock = clock
        self.bus = bus
        self.settle_alone = settle_alone
        self._waiting: list[_Waiting] = []
        self._settling: asyncio.Task[None] | None = None

    async def settle(self, payment: PaymentReceived) -> OrderView:
        """Settle this payment with whatever others are waiting (`Payments.settle`)."""
        waiting = _Waiting(payment, asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        if self._settling is None:
            self._settling = asyncio.create_task(self._settle_waiting())
        return await waiting.answer

    async def _settle_waiting(self) -> None:
        """Whatever arrived while the last batch was settled goes into the next one; what
        follows the payments (receipts, points) waits until the burst is settled."""
        batch: list[_Waiting] = []
        try:
            with self.bus.notices.held_back():
                while self._waiting:
                    batch, self._waiting = self._waiting[:BATCH], self._waiting[BATCH:]
                    await self._settle_batch(batch)
        finally:
            self._settling = None
            for waiting in batch + self._waiting:  # cancelled: no caller waits forever
                if not waiting.answer.done():
                    waiting.answer.cancel()

    async def _settle_batch(self, batch: list[_Waiting]) -> None:
        try:
            alone = await self._together(batch)
        except Exception as error:  # each is tried on its own, and fails on its own
            log.warning("settling_together_failed", error=type(error).__name__)
            alone = [waiting for waiting in batch if not waiting.answer.done()]
        for waiting in alone:
            await self._alone(waiting)

    async def _alone(self, waiting: _Waiting) -> None:
        try:
            order = await self.settle_alone(waiting.payment)
        except Exception as error:
            _answer(waiting, error=error)
        else:
            _answer(waiting, order=order)

    async def _together(self, batch: list[_Waiting]) -> list[_Waiting]:
        """Settle the plain payments of `batch` in one transaction and answer them; returns
        the rest, to be settled one by one."""
        plain, alone = await _sorted(batch)
        if not plain:
            return alone
        now = self.clock.now()
        answers: list[tuple[_Waiting, OrderView]] = []
        # a lone payment's receipt goes out before its caller is answered, as settling it
        # alone would; in a burst no payer waits for every other payer's receipt
        async with self.bus.transaction(answer_first=len(plain) > 1) as changes:
            paid = await sql.rows(
                _PAY_HOLDS, status=HoldStatus.PAID.value, now=now, was=HoldStatus.HELD.value,
                ids=[each.waiting.payment.hold_id for each in plain],
            )  # fmt: skip
            held = {int(row["id"]) for row in paid}
            alone += [each.waiting for each in plain if each.waiting.payment.hold_id not in held]
            plain = [each for each in plain if each.waiting.payment.hold_id in held]
            payments = [each.waiting.payment for each in plain]
            orders = await insert_orders(
                [
                    order_fields(
                        payment, each.fan_id, each.tier.tier_id, now, paid_hold_id=payment.hold_id
                    )
                    for payment, each in zip(payments, plain, strict=True)
                ]
            )
            for order, each in zip(orders, plain, strict=True):
                changes.add(paid_event(order, each.tier, delivery_of(each.tier), now))
                answers.append((each.waiting, view(order)))
        for waiting, order_view in answers:  # once committed
            _answer(waiting, order=order_view)
        return alone


async def _sorted(batch: list[_Waiting]) -> tuple[list[_Plain], list[_Waiting]]:
    """The plain payments of `batch`, and the rest."""
    holds = {each.payment.hold_id for each in batch}
    payments = {each.payment.payment_id for each in batch}
    found = await sql.rows(_HOLDS, ids=sorted(holds))
    recorded = await sql.rows(_RECORDED, ids=sorted(payments))
    by_hold = {int(row["hold_id"]): row for row in found}
    already = {str(row["payment_id"]) for row in recorded}
    plain: list[_Plain] = []
    alone: list[_Waiting] = []
    seen_holds: set[int] = set()
    seen_payments: set[str] = set()
    for each in batch:
        payment = each.payment
        row = by_hold.get(payment.hold_id)
        tier = stock.tier_from_row(row) if row is not None else None
        twice = payment.hold_id in seen_holds or payment.payment_id in seen_payments
        seen_holds.add(payment.hold_id)
        seen_payments.add(payment.payment_id)
        if (
            row is None
            or tier is None
            or twice
            or row["hold_status"] != HoldStatus.HELD.value
            or payment.amount != stock.held_price(row["held_minor"], tier)
            or payment.payment_id in already
        ):
            alone.append(each)
        else:
            plain.append(_Plain(each, int(row["fan_id"]), tier))
    return plain, alone


def _answer(
    waiting: _Waiting, *, order: OrderView | None = None, error: Exception | None = None
) -> None:
    """Answer a caller, unless it gave up waiting."""
    if waiting.answer.done():
        return
    if error is not None:
        waiting.answer.set_exception(error)
    elif order is not None:
        waiting.answer.set_result(order)
