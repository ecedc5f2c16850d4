"""Perks follow paid orders: a purchase grants its tier's perk once, a refund or dispute
takes it back once, and a platform that failed is caught up by the sweep (invariant 3)."""

from __future__ import annotations

import asyncio

import pytest

from core.drops.order_rows import PaymentReceived
from core.errors import InvalidInput, InvalidState
from core.events import OrderPaid
from core.kinds import OrderStatus, Platform
from core.messages import PerkGranted, PerkTakenBack
from core.models import PerkGrant
from tests.builders import fans, open_drop, tier


async def backstage(world):
    return await world.core.perks.register(
        "Backstage", "Backstage chat", Platform.TELEGRAM, "-1001", "-1001"
    )


async def buy(world, fan: int, tier_id: int) -> int:
    hold = await world.core.holds.reserve(tier_id, fan)
    payment = PaymentReceived(f"pi_{hold.id}", "stripe", hold.id, hold.price)
    return (await world.core.payments.settle(payment)).id


async def perk_drop(world, stock: int = 5):
    await backstage(world)
    drop = await open_drop(world.core, tier("Pass", kind="digital", stock=stock, perk="backstage"))
    return drop.tiers[0].id


def perk_messages(world, fan: int) -> list[object]:
    return [m for m in world.messenger.to(fan) if isinstance(m, (PerkGranted, PerkTakenBack))]


async def test_buying_a_perk_tier_grants_the_perk_once_and_sends_the_fans_own_access(world):
    tier_id = await perk_drop(world)
    [fan] = await fans(1)
    await buy(world, fan, tier_id)
    await world.core.perks.reconcile(fan)
    assert await world.core.perks.sweep() == 0
    [(call, who, _)] = world.perks.calls
    assert (call, who) == ("grant", fan)
    [told] = perk_messages(world, fan)
    assert told.title == "Backstage chat"
    assert told.access.startswith("memory://perk/")


async def test_a_refund_takes_the_perk_back_once_and_tells_the_fan(world):
    tier_id = await perk_drop(world)
    [fan] = await fans(1)
    order_id = await buy(world, fan, tier_id)
    await world.core.orders.refund(order_id, "changed my mind")
    await world.core.perks.reconcile(fan)
    assert [call for call, _, _ in world.perks.calls] == ["grant", "revoke"]
    assert world.perks.granted == set()
    assert isinstance(perk_messages(world, fan)[-1], PerkTakenBack)


async def test_a_dispute_takes_the_perk_back_but_a_second_order_keeps_it(world):
    tier_id = await perk_drop(world)
    [fan] = await fans(1)
    await world.core.drops.create("Spare", [tier(kind="digital")])
    first = await buy(world, fan, tier_id)
    # the same perk bought again through another drop's tier
    other = await open_drop(world.core, tier("Pass 2", kind="digital", perk="backstage"))
    await buy(world, fan, other.tiers[0].id)
    await world.core.payments.reverse(f"pi_{first}", OrderStatus.DISPUTED)
    assert [call for call, _, _ in world.perks.calls] == ["grant"]
    last = (await world.core.orders.list())[-1]
    await world.core.payments.reverse(f"pi_{last.id}", OrderStatus.DISPUTED)
    assert [call for call, _, _ in world.perks.calls] == ["grant", "revoke"]


async def test_a_platform_that_failed_is_caught_up_by_the_sweep(world):
    tier_id = await perk_drop(world)
    [fan] = await fans(1)
    world.perks.failing = True
    await buy(world, fan, tier_id)
    assert world.perks.granted == set()
    assert perk_messages(world, fan) == []
    world.perks.failing = False
    assert await world.core.perks.sweep() == 1
    assert world.perks.granted == {(fan, (await PerkGrant.get()).perk_id)}
    assert await world.core.perks.sweep() == 0


async def test_many_workers_reconciling_at_once_grant_once(world):
    tier_id = await perk_drop(world)
    [fan] = await fans(1)
    world.perks.failing = True  # the purchase's own grant fails: the workers race for it
    await buy(world, fan, tier_id)
    world.perks.failing = False
    await asyncio.gather(*(world.core.perks.reconcile(fan) for _ in range(8)))
    assert [call for call, _, _ in world.perks.calls] == ["grant"]


async def test_a_fan_gets_fresh_access_on_request_and_the_old_one_is_replaced(world):
    tier_id = await perk_drop(world)
    [fan, stranger] = await fans(2)
    await buy(world, fan, tier_id)
    first = perk_messages(world, fan)[-1].access
    assert await world.core.perks.reissue(fan) == ["Backstage chat"]
    fresh = perk_messages(world, fan)[-1].access
    assert fresh != first
    assert (await PerkGrant.get(fan_id=fan)).access == fresh
    assert await world.core.perks.reissue(stranger) == []


async def test_perk_names_are_checked_and_never_moved_to_another_chat(world):
    with pytest.raises(InvalidInput, match="lowercase letters"):
        await world.core.perks.register("back stage!", "", Platform.TELEGRAM, "-1", "-1")
    perk = await backstage(world)
    assert perk.name == "backstage"
    again = await world.core.perks.register(
        "backstage", "New title", Platform.TELEGRAM, "-1001", "-1001"
    )
    assert (again.id, again.title) == (perk.id, "New title")
    with pytest.raises(InvalidState, match="already given elsewhere"):
        await world.core.perks.register("backstage", "", Platform.TELEGRAM, "-1002", "-1002")
    with pytest.raises(InvalidInput, match="no perk called 'vip'"):
        await world.core.drops.create("Drop", [tier(kind="digital", perk="vip")])


async def test_a_failing_subscriber_is_logged_and_the_sale_stands(world, capsys):
    async def broken(_: object) -> None:
        raise RuntimeError("a platform adapter fell over")

    world.core.bus.subscribe(OrderPaid, broken)
    drop = await open_drop(world.core, tier(kind="digital"))
    [fan] = await fans(1)
    await buy(world, fan, drop.tiers[0].id)
    assert [order.status for order in await world.core.orders.list()] == ["paid"]
    assert "event_handler_failed" in capsys.readouterr().out
