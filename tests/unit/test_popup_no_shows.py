"""After a pop-up's window: each fan who did not pick up is told once, and the creator ships
or refunds each no-show once; the stats count pickups per pop-up."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from adapters import wording
from core.drops.order_rows import PaymentReceived
from core.errors import DropcastError, InvalidInput, InvalidState, NotFound
from core.messages import OrderShipped, PaymentReturned, PickupMissed
from core.models import Order, PickupPass
from core.popups.stats import pop_up_stats
from tests.builders import fans
from tests.popup_builders import PLACE, a_fan, bought, everything, stall

ADDRESS = "12 rue des Lilas, 69003 Lyon, France"


def missed(world, fan: int) -> list[PickupMissed]:
    return [m for m in world.messenger.to(fan) if isinstance(m, PickupMissed)]


async def after_the_window(world, hours: int = 6) -> None:
    world.clock.advance(hours=hours)
    await world.core.tick()
    await world.core.notices.settled()


async def test_each_no_show_is_told_once_after_the_window_and_no_one_else(world):
    where = await stall(world.core)
    away, came, refunded = await fans(3)
    orders = {fan: await bought(world.core, where, fan) for fan in (away, came, refunded)}
    await world.core.orders.refund(orders[refunded], "changed their mind")
    world.clock.advance(hours=2)
    await world.core.tick()
    assert missed(world, away) == []  # the window is still open
    await PickupPass.filter(order_id=orders[came]).update(collected_at=world.clock.now())
    await after_the_window(world)
    await after_the_window(world)
    [told] = missed(world, away)
    assert told == PickupMissed(orders[away], "Winter drop", PLACE)
    assert wording.fan_text(told) == (
        f"You did not pick up order #{orders[away]} (Winter drop) at {PLACE}. "
        "The creator will ship it to you or refund you, and let you know."
    )
    assert missed(world, came) == missed(world, refunded) == []
    assert [each.order_id for each in await world.core.no_shows.of_pop_up(where.pop_up.id)] == [
        orders[away]
    ]


async def test_two_clocks_ticking_at_once_tell_a_no_show_once(world):
    where = await stall(world.core)
    fan = await a_fan()
    await bought(world.core, where, fan)
    world.clock.advance(hours=6)
    told = await asyncio.gather(*(world.core.no_shows.remind_due() for _ in range(4)))
    await world.core.notices.settled()
    assert sum(told) == 1
    assert len(missed(world, fan)) == 1


async def test_a_no_show_shipped_instead_gets_the_address_and_is_told_once(world):
    where = await stall(world.core)
    fan = await a_fan()
    order_id = await bought(world.core, where, fan)
    await after_the_window(world)
    line = await world.core.no_shows.ship(str(order_id), f"  {ADDRESS} ")
    await world.core.notices.settled()
    assert line.shipped_at == world.clock.now()
    order = await Order.get(id=order_id)
    assert order.shipping_address == {"line1": ADDRESS}
    found = await PickupPass.get(order_id=order_id)
    assert (found.resolution, found.resolved_at) == ("shipped", world.clock.now())
    assert [m for m in world.messenger.to(fan) if isinstance(m, OrderShipped)] == [
        OrderShipped(order_id, "Winter drop", "Signed print")
    ]
    before = await everything()
    with pytest.raises(InvalidState, match="was shipped already"):
        await world.core.no_shows.ship(str(order_id), ADDRESS)
    with pytest.raises(InvalidState, match="was shipped already"):
        await world.core.no_shows.refund(str(order_id))
    assert await everything() == before


async def test_a_no_show_refunded_by_pass_code_is_refunded_once(world):
    where = await stall(world.core)
    fan = await a_fan()
    order_id = await bought(world.core, where, fan)
    made = await PickupPass.get(order_id=order_id)
    link = await world.core.pass_codes.link(made.id, where.pop_up.id)
    await after_the_window(world)
    line = await world.core.no_shows.refund(link)
    await world.core.notices.settled()
    assert line.status == "refunded"
    paid_by = (await Order.get(id=order_id)).payment_id
    assert [payment for payment, _, _ in world.refunds.refunded] == [paid_by]
    assert (await PickupPass.get(id=made.id)).resolution == "refunded"
    [back] = [m for m in world.messenger.to(fan) if isinstance(m, PaymentReturned)]
    assert back.reason == f"not picked up at {PLACE}"
    before = await everything()
    with pytest.raises(InvalidState, match="was refunded already"):
        await world.core.no_shows.refund(str(order_id))
    assert await everything() == before
    assert len(world.refunds.refunded) == 1


async def test_shipping_and_refunding_one_no_show_at_once_does_exactly_one(world):
    where = await stall(world.core)
    fan = await a_fan()
    order_id = await bought(world.core, where, fan)
    await after_the_window(world)
    both = await asyncio.gather(
        world.core.no_shows.ship(str(order_id), ADDRESS),
        world.core.no_shows.refund(str(order_id)),
        world.core.no_shows.ship(str(order_id), ADDRESS),
        return_exceptions=True,
    )
    done = [each for each in both if not isinstance(each, Exception)]
    assert len(done) == 1
    assert all(isinstance(each, InvalidState) for each in both if each not in done)
    order = await Order.get(id=order_id)
    resolution = (await PickupPass.get(order_id=order_id)).resolution
    assert (resolution, order.shipped_at is not None, str(order.status)) in (
        ("shipped", True, "paid"),
        ("refunded", False, "refunded"),
    )


@pytest.mark.parametrize(
    ("case", "refusal", "says"),
    [
        ("collected", InvalidState, "was collected at 13:30 UTC; nothing to do"),
        ("window open", InvalidState, "has not ended yet"),
        ("not a pickup", NotFound, "has no pickup pass"),
        ("unknown order", NotFound, "order #99999 has no pickup pass"),
        ("forged code", NotFound, "neither an order number nor a pass of ours"),
        ("refunded before", InvalidState, "is refunded, not paid"),
        ("shipped before", InvalidState, "was marked shipped already"),
        ("no address", InvalidInput, "--address cannot be empty"),
    ],
)
async def test_a_resolution_that_cannot_be_is_refused_and_changes_nothing(
    world, case, refusal, says
):
    where = await stall(world.core)
    fan, shipping_fan = await fans(2)
    order_id = await bought(world.core, where, fan)
    ref, address = str(order_id), ADDRESS
    hold = await world.core.holds.reserve(where.tier_id, shipping_fan)
    shipped = await world.core.payments.settle(
        PaymentReceived("pi_ship", "stripe", hold.id, hold.price)
    )
    world.clock.advance(hours=1, minutes=30)
    match case:
        case "collected":
            await PickupPass.filter(order_id=order_id).update(collected_at=world.clock.now())
        case "not a pickup":
            ref = str(shipped.id)
        case "unknown order":
            ref = "99999"
        case "forged code":
            made = await PickupPass.get(order_id=order_id)
            ref = "X" + (await world.core.pass_codes.code(made.id, where.pop_up.id))[1:]
        case "refunded before":
            await world.core.orders.refund(order_id, "changed their mind")
        case "shipped before":
            await world.core.orders.ship(order_id)
        case "no address":
            address = "  "
    if case != "window open":
        world.clock.advance(hours=6)
    before = await everything()
    with pytest.raises(refusal, match=says):
        await world.core.no_shows.ship(ref, address)
    if case != "no address":
        with pytest.raises(DropcastError):
            await world.core.no_shows.refund(ref)
    assert await everything() == before


async def test_the_stats_count_pickups_per_pop_up(world):
    where = await stall(world.core)
    later = where.pop_up.starts_at + timedelta(days=2)
    upcoming = await world.core.pop_ups.create(
        where.drop_id, "Dock 9", later, later + timedelta(hours=1)
    )
    came, shipped, refunded, silent, void = await fans(5)
    orders = {
        fan: await bought(world.core, where, fan) for fan in (came, shipped, refunded, silent, void)
    }
    await world.core.orders.refund(orders[void], "changed their mind")
    world.clock.advance(hours=2)
    await PickupPass.filter(order_id=orders[came]).update(collected_at=world.clock.now())
    await after_the_window(world)
    await world.core.no_shows.ship(str(orders[shipped]), ADDRESS)
    await world.core.no_shows.refund(str(orders[refunded]))
    first, second = await pop_up_stats(world.clock.now(), where.drop_id)
    figures = (
        first.expected, first.collected, first.no_shows, first.no_show_rate,
        first.shipped_after, first.refunded_after,
    )  # fmt: skip
    assert figures == (4, 1, 3, 0.75, 1, 1)
    assert (second.pop_up_id, second.expected, second.no_shows, second.no_show_rate) == (
        upcoming.id,
        0,
        0,
        None,
    )
