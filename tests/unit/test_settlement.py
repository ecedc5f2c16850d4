"""Invariant 2: every paid payment produces exactly one order, whatever the order,
duplication or delay; a late payment that finds no stock is refunded and the fan told."""

from __future__ import annotations

import asyncio

import pytest

from core.drops.payments import PaymentReceived
from core.drops.views import drop_view
from core.errors import NotFound
from core.messages import OrderConfirmed, PaymentReturned
from core.models import Order, OrderStatus
from core.money import Money
from tests.builders import fans, open_drop, tier

PRICE = Money(2500, "EUR")


def paid(hold_id: int, payment_id: str = "pi_1", amount: Money = PRICE) -> PaymentReceived:
    return PaymentReceived(payment_id, "stripe", hold_id, amount)


async def test_paying_a_hold_makes_one_order_and_confirms_it_to_the_fan(world):
    drop = await open_drop(world.core, tier(stock=2))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    order = await world.core.payments.settle(paid(hold.id))
    assert (order.status, order.hold_id, order.amount) == ("paid", hold.id, PRICE)
    assert world.messenger.to(fan) == [
        OrderConfirmed(order.id, "Winter drop", "Signed print", PRICE)
    ]
    view = await drop_view(drop.id)
    assert (view.tiers[0].sold, view.tiers[0].held, view.tiers[0].available) == (1, 0, 1)


async def test_the_same_payment_delivered_three_times_is_one_order(world):
    drop = await open_drop(world.core, tier(stock=2))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    orders = [await world.core.payments.settle(paid(hold.id)) for _ in range(3)]
    assert {order.id for order in orders} == {orders[0].id}
    assert await Order.all().count() == 1
    assert len(world.messenger.to(fan)) == 1


async def test_the_same_payment_delivered_concurrently_is_one_order(world):
    drop = await open_drop(world.core, tier(stock=2))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    orders = await asyncio.gather(*(world.core.payments.settle(paid(hold.id)) for _ in range(5)))
    assert len({order.id for order in orders}) == 1
    assert await Order.all().count() == 1
    assert (await drop_view(drop.id)).tiers[0].sold == 1


async def test_a_payment_after_the_hold_lapsed_is_honoured_while_stock_remains(world):
    drop = await open_drop(world.core, tier(stock=2))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    world.clock.advance(minutes=11)
    await world.core.tick()
    order = await world.core.payments.settle(paid(hold.id))
    assert order.status == "paid"
    assert order.hold_id != hold.id  # a fresh unit was taken for it
    view = await drop_view(drop.id)
    assert (view.tiers[0].sold, view.tiers[0].available) == (1, 1)
    assert world.refunds.refunded == []


async def test_a_late_payment_that_finds_no_stock_is_refunded_and_the_fan_told(world):
    drop = await open_drop(world.core, tier(stock=1))
    late, quick = await fans(2)
    lapsed = await world.core.holds.reserve(drop.tiers[0].id, late)
    world.clock.advance(minutes=11)
    await world.core.tick()
    taken = await world.core.holds.reserve(drop.tiers[0].id, quick)
    await world.core.payments.settle(paid(taken.id, "pi_quick"))
    order = await world.core.payments.settle(paid(lapsed.id, "pi_late"))
    assert order.status == "refunded"
    assert order.hold_id is None
    assert world.refunds.refunded == [("pi_late", PRICE, "the item sold out first")]
    assert world.messenger.to(late)[-1] == PaymentReturned(
        "Winter drop", PRICE, "the item sold out first"
    )
    again = await world.core.payments.settle(paid(lapsed.id, "pi_late"))
    assert again.id == order.id
    assert len(world.refunds.refunded) == 1  # the redelivered event refunds nothing twice
    view = await drop_view(drop.id)
    assert (view.tiers[0].sold, view.tiers[0].available) == (1, 0)


async def test_a_second_payment_for_one_hold_takes_another_unit_or_is_refunded(world):
    drop = await open_drop(world.core, tier(stock=2, limit=2))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    first = await world.core.payments.settle(paid(hold.id, "pi_a"))
    second = await world.core.payments.settle(paid(hold.id, "pi_b"))
    third = await world.core.payments.settle(paid(hold.id, "pi_c"))
    assert (first.status, second.status, third.status) == ("paid", "paid", "refunded")
    assert (await drop_view(drop.id)).tiers[0].sold == 2
    assert [refund[0] for refund in world.refunds.refunded] == ["pi_c"]


async def test_a_payment_of_the_wrong_amount_is_refunded_not_fulfilled(world):
    drop = await open_drop(world.core, tier(stock=1))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    order = await world.core.payments.settle(paid(hold.id, amount=Money(100, "EUR")))
    assert order.status == "refunded"
    assert world.refunds.refunded == [("pi_1", Money(100, "EUR"), "the amount paid differs")]
    assert (await drop_view(drop.id)).tiers[0].sold == 0
    assert not [m for m in world.messenger.to(fan) if isinstance(m, OrderConfirmed)]


async def test_a_refund_that_fails_is_retried_by_the_clock_exactly_once(world):
    drop = await open_drop(world.core, tier(stock=1))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    world.refunds.failing = True
    with pytest.raises(ConnectionError):
        await world.core.payments.settle(paid(hold.id, amount=Money(1, "EUR")))
    assert (await Order.get(payment_id="pi_1")).status == OrderStatus.REFUND_PENDING
    world.refunds.failing = False
    await world.core.tick()
    await world.core.tick()
    assert (await Order.get(payment_id="pi_1")).status == OrderStatus.REFUNDED
    assert len(world.refunds.refunded) == 1


async def test_a_payment_for_an_unknown_hold_is_refused_and_records_nothing(world):
    with pytest.raises(NotFound, match=r"no hold we know \(#404\)"):
        await world.core.payments.settle(paid(404))
    assert await Order.all().count() == 0
