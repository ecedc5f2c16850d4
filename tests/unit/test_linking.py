"""One fan, two platforms: a code from one account sent from the other merges the two fans
exactly once, keeping everything either had."""

from __future__ import annotations

import asyncio

import pytest

from core.drops.payments import PaymentReceived
from core.errors import DropcastError, InvalidInput, InvalidState
from core.fans import fan_for, profile
from core.models import Fan, FanTier, Platform, PlatformAccount
from tests.builders import open_drop, tier


async def two_accounts(world) -> tuple[int, int]:
    on_telegram = await fan_for(Platform.TELEGRAM, "2002", "Ada")
    on_discord = await fan_for(Platform.DISCORD, "5001", "ada#1")
    return on_telegram, on_discord


async def test_linking_merges_accounts_orders_points_and_consent_once(world):
    kept, merged = await two_accounts(world)
    await Fan.filter(id=merged).update(dm_opt_in=True)
    drop = await open_drop(world.core, tier(stock=5))
    hold = await world.core.holds.reserve(drop.tiers[0].id, merged)
    await world.core.payments.settle(PaymentReceived("pi_1", "stripe", hold.id, hold.price))
    code = await world.core.linking.issue(kept)
    assert await world.core.linking.redeem(code.lower(), merged) == kept
    accounts = await PlatformAccount.filter(fan_id=kept).values_list("platform", flat=True)
    assert sorted(accounts) == ["discord", "telegram"]
    me = await profile(kept)
    assert (me.tier, me.points, len(me.orders)) == (FanTier.SUPPORTER, 70, 1)
    assert (await Fan.get(id=kept)).dm_opt_in is True
    assert not await Fan.exists(id=merged)
    with pytest.raises(InvalidState, match="used already"):
        await world.core.linking.redeem(code, merged)


async def test_wrong_expired_own_and_taken_codes_are_refused_and_change_nothing(world):
    kept, merged = await two_accounts(world)
    with pytest.raises(InvalidInput, match="not a link code I gave out"):
        await world.core.linking.redeem("NOPE1234", merged)
    code = await world.core.linking.issue(kept)
    with pytest.raises(InvalidState, match="send it from there"):
        await world.core.linking.redeem(code, kept)
    world.clock.advance(minutes=11)
    with pytest.raises(InvalidState, match="expired"):
        await world.core.linking.redeem(code, merged)
    await world.core.linking.redeem(await world.core.linking.issue(kept), merged)
    # a second Discord account cannot join the same person
    other = await fan_for(Platform.DISCORD, "5002", "not ada")
    with pytest.raises(InvalidState, match="already has a discord account linked"):
        await world.core.linking.redeem(await world.core.linking.issue(kept), other)
    assert await Fan.exists(id=other)
    # asking again voids the code asked for before
    first = await world.core.linking.issue(kept)
    await world.core.linking.issue(kept)
    with pytest.raises(InvalidState, match="used already"):
        await world.core.linking.redeem(first, other)


async def test_two_accounts_racing_with_one_code_link_one(world):
    kept = await fan_for(Platform.TELEGRAM, "2002", "Ada")
    racers = [await fan_for(Platform.DISCORD, f"50{n}", "racer") for n in range(5)]
    code = await world.core.linking.issue(kept)
    results = await asyncio.gather(
        *(world.core.linking.redeem(code, racer) for racer in racers), return_exceptions=True
    )
    assert sum(result == kept for result in results) == 1
    assert all(isinstance(r, DropcastError) for r in results if r != kept)
    assert await PlatformAccount.filter(fan_id=kept).count() == 2
