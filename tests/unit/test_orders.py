"""Fulfilment and the creator's order commands: digital goods arrive with the receipt,
physical ones wait to ship, refunds take money and perks back exactly once."""

from __future__ import annotations

import pytest

from core.drops.order_rows import PaymentReceived
from core.drops.views import drop_view
from core.errors import InvalidState, NotFound
from core.messages import OrderConfirmed, OrderShipped, PaymentReturned
from core.models import Order
from tests.builders import fans, open_drop, tier

ADDRESS = {"name": "Ada Fan", "line1": "1 Main St", "city": "Lyon", "country": "FR"}


async def bought(world, *, kind: str = "physical", address: dict | None = None):
    drop = await open_drop(world.core, tier(stock=3, kind=kind))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    payment = PaymentReceived(f"pi_{hold.id}", "stripe", hold.id, hold.price, address)
    order = await world.core.payments.settle(payment)
    return drop, fan, order


async def test_a_digital_buyer_gets_the_goods_with_the_receipt(world):
    _, fan, order = await bought(world, kind="digital")
    [receipt] = world.messenger.to(fan)
    assert isinstance(receipt, OrderConfirmed)
    assert receipt.delivery == "https://files.example/Signed print.zip"
    assert (await Order.get(id=order.id)).delivered_at == world.clock.now()


async def test_a_physical_order_waits_in_the_ship_list_with_its_address(world):
    _, fan, order = await bought(world, address=ADDRESS)
    [receipt] = world.messenger.to(fan)
    assert receipt.delivery is None
    [line] = await world.core.orders.list(to_ship=True)
    assert (line.id, line.ships_to, line.fan) == (order.id, "Lyon, FR", "Fan 0")
    assert (await Order.get(id=order.id)).shipping_address == ADDRESS


async def test_shipping_tells_the_fan_once_and_leaves_the_ship_list(world):
    _, fan, order = await bought(world, address=ADDRESS)
    line = await world.core.orders.ship(order.id)
    assert line.shipped_at == world.clock.now()
    assert world.messenger.to(fan)[-1] == OrderShipped(order.id, "Winter drop", "Signed print")
    assert await world.core.orders.list(to_ship=True) == []
    with pytest.raises(InvalidState, match="already marked shipped"):
        await world.core.orders.ship(order.id)
    assert len(world.messenger.to(fan)) == 2


async def test_digital_orders_and_unknown_orders_cannot_ship(world):
    _, _, order = await bought(world, kind="digital")
    with pytest.raises(InvalidState, match="nothing to ship"):
        await world.core.orders.ship(order.id)
    with pytest.raises(NotFound, match="no order #99"):
        await world.core.orders.ship(99)


async def test_a_refund_gives_the_money_back_once_and_keeps_the_unit_off_sale(world):
    drop, fan, order = await bought(world)
    line = await world.core.orders.refund(order.id, "damaged in transit")
    assert line.status == "refunded"
    assert world.refunds.refunded == [(order.payment_id, order.amount, "damaged in transit")]
    assert world.messenger.to(fan)[-1] == PaymentReturned(
        "Winter drop", order.amount, "damaged in transit"
    )
    [tier_line] = (await drop_view(drop.id)).tiers
    assert (tier_line.available, tier_line.sold, tier_line.off_sale) == (2, 0, 1)
    with pytest.raises(InvalidState, match="only paid orders refund"):
        await world.core.orders.refund(order.id, "again")
    assert len(world.refunds.asked) == 1  # the refused second refund asked the provider nothing


async def test_a_refund_with_restock_puts_the_unit_back_on_sale(world):
    drop, _, order = await bought(world)
    await world.core.orders.refund(order.id, "changed my mind", restock=True)
    assert (await drop_view(drop.id)).tiers[0].available == 3
