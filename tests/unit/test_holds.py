"""Fans holding units: stock, limits, the waitlist and holds lapsing, on both databases."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from core.drops.order_rows import PaymentReceived
from core.drops.views import drop_view
from core.errors import InvalidState, LimitReached, NotFound, SoldOut
from core.kinds import DropStatus, HoldStatus
from core.messages import HoldLapsed, PayLinkOffer
from core.models import Community, DropTier, Reservation
from tests.builders import fans, open_drop, tier


async def test_a_hold_takes_one_unit_and_shows_in_the_drop(world):
    drop = await open_drop(world.core, tier(stock=3))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    view = await drop_view(drop.id)
    assert (view.tiers[0].available, view.tiers[0].held, view.tiers[0].sold) == (2, 1, 0)
    assert hold.expires_at == world.clock.now() + timedelta(minutes=10)


async def test_last_unit_sells_the_drop_out_and_the_next_fan_is_told(world):
    community = await Community.create(platform="sandbox", platform_ref="main", name="Main")
    drop = await open_drop(world.core, tier(stock=2))
    a, b, c = await fans(3)
    await world.core.holds.reserve(drop.tiers[0].id, a)
    await world.core.holds.reserve(drop.tiers[0].id, b)
    assert (await drop_view(drop.id)).status == DropStatus.SOLD_OUT
    with pytest.raises(SoldOut, match="sold out"):
        await world.core.holds.reserve(drop.tiers[0].id, c)
    await world.core.notices.settled()  # the last buyer is answered first, the post follows
    post = world.announcer.posts[(community.id, drop.id)]
    assert (post.status, post.tiers[0].available) == ("sold_out", 0)
    assert world.announcer.edits == 1  # the "open" post was edited, not posted again


async def test_per_fan_limit_refuses_the_extra_unit_and_changes_nothing(world):
    drop = await open_drop(world.core, tier(stock=5, limit=2))
    [fan] = await fans(1)
    tier_id = drop.tiers[0].id
    for _ in range(2):
        hold = await world.core.holds.reserve(tier_id, fan)
        await world.core.payments.settle(
            PaymentReceived(f"pi_{hold.id}", "sandbox", hold.id, hold.price)
        )
    with pytest.raises(LimitReached, match="2 of Signed print"):
        await world.core.holds.reserve(tier_id, fan)
    assert (await DropTier.get(id=tier_id)).available == 3
    assert await Reservation.filter(fan_id=fan).count() == 2


async def test_a_fan_who_taps_buy_again_gets_their_own_hold_and_pay_link_back(world):
    """Their first answer may never have reached them: the last unit is theirs to pay,
    not "sold out", and it is the same hold and the same link, not a second one."""
    drop = await open_drop(world.core, tier(stock=1))
    [fan, other] = await fans(2)
    tier_id = drop.tiers[0].id
    first = await world.core.holds.reserve(tier_id, fan)
    link = await world.core.holds.pay_link(first.id, fan)
    again = await world.core.holds.reserve(tier_id, fan)
    assert (again.id, again.expires_at) == (first.id, first.expires_at)
    assert (await world.core.holds.pay_link(again.id, fan)).url == link.url
    with pytest.raises(SoldOut):
        await world.core.holds.reserve(tier_id, other)
    assert await Reservation.all().count() == 1
    world.clock.advance(minutes=11)  # lapsed: a tap now is a new try like anyone's
    await world.core.tick()
    assert (await world.core.holds.reserve(tier_id, fan)).id != first.id


async def test_one_fans_two_taps_at_once_on_the_last_unit_both_offer_their_one_hold(world):
    drop = await open_drop(world.core, tier(stock=1))
    [fan] = await fans(1)
    tier_id = drop.tiers[0].id
    taps = await asyncio.gather(*(world.core.holds.reserve(tier_id, fan) for _ in range(2)))
    assert taps[0].id == taps[1].id
    assert await Reservation.all().count() == 1


@pytest.mark.parametrize("action", ["draft", "closed", "cancelled"])
async def test_reserving_on_a_drop_that_is_not_open_is_refused(world, action):
    drop = await world.core.drops.create("Not yet", [tier()])
    if action == "closed":
        await world.core.drops.open(drop.id)
        await world.core.drops.close(drop.id)
    elif action == "cancelled":
        await world.core.drops.cancel(drop.id)
    [fan] = await fans(1)
    with pytest.raises(InvalidState, match="Not yet is"):
        await world.core.holds.reserve(drop.tiers[0].id, fan)
    assert (await DropTier.get(id=drop.tiers[0].id)).available == 10
    assert await Reservation.all().count() == 0


async def test_unknown_tier_is_not_found(world):
    [fan] = await fans(1)
    with pytest.raises(NotFound, match="no tier #999"):
        await world.core.holds.reserve(999, fan)


async def test_a_lapsed_hold_returns_its_unit_and_tells_the_fan(world):
    drop = await open_drop(world.core, tier(stock=1))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    world.clock.advance(minutes=9, seconds=59)
    assert await world.core.holds.expire_due() == 0
    world.clock.advance(seconds=1)
    assert await world.core.holds.expire_due() == 1
    assert await world.core.holds.expire_due() == 0  # a replayed timer changes nothing
    view = await drop_view(drop.id)
    assert (view.status, view.tiers[0].available, view.tiers[0].held) == ("open", 1, 0)
    assert (await Reservation.get(id=hold.id)).status == HoldStatus.EXPIRED
    assert world.messenger.to(fan) == [HoldLapsed(hold.id, "Winter drop", "Signed print")]


async def test_a_lapsed_hold_goes_to_the_first_fan_waiting_with_a_pay_link(world):
    drop = await open_drop(world.core, tier(stock=1))
    holder, first, second = await fans(3)
    tier_id = drop.tiers[0].id
    await world.core.holds.reserve(tier_id, holder)
    assert await world.core.holds.join_waitlist(tier_id, first) == 1
    assert await world.core.holds.join_waitlist(tier_id, second) == 2
    world.clock.advance(minutes=10)
    await world.core.holds.expire_due()
    [offer] = world.messenger.to(first)
    assert isinstance(offer, PayLinkOffer)
    assert offer.from_waitlist
    code = offer.url.removeprefix("http://localhost:8080/l/")
    assert await world.core.short_links.follow(code) == f"sandbox://pay/{offer.hold_id}"
    assert world.messenger.to(second) == []
    view = await drop_view(drop.id)
    assert (view.status, view.tiers[0].available, view.tiers[0].held) == ("sold_out", 0, 1)


async def test_joining_the_waitlist_twice_keeps_one_place(world):
    drop = await open_drop(world.core, tier(stock=1))
    a, b = await fans(2)
    await world.core.holds.reserve(drop.tiers[0].id, a)
    assert await world.core.holds.join_waitlist(drop.tiers[0].id, b) == 1
    assert await world.core.holds.join_waitlist(drop.tiers[0].id, b) == 1


async def test_early_access_lets_only_higher_tiers_in_before_opening(world):
    from core.drops.specs import EarlyAccess
    from core.models import Fan

    drop = await world.core.drops.create("Early", [tier()])
    opens = world.clock.now() + timedelta(hours=1)
    await world.core.drops.schedule(drop.id, opens, early_access=EarlyAccess("insider", 30))
    regular, insider = await fans(2)
    await Fan.filter(id=insider).update(tier="insider")
    world.clock.advance(minutes=20)
    with pytest.raises(InvalidState, match="opens at"):
        await world.core.holds.reserve(drop.tiers[0].id, insider)
    world.clock.advance(minutes=15)
    await world.core.holds.reserve(drop.tiers[0].id, insider)
    with pytest.raises(InvalidState, match="opens at"):
        await world.core.holds.reserve(drop.tiers[0].id, regular)
