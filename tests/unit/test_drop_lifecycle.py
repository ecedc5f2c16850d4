"""The creator's side of a drop: bad arguments are refused and change nothing; transitions
happen once, on time, and the community post follows them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.drops.payments import PaymentReceived
from core.drops.specs import EarlyAccess, TierSpec
from core.drops.views import drop_view, list_drops
from core.errors import InvalidInput, InvalidState
from core.models import Community, Drop, HoldStatus, Reservation
from core.money import Money
from tests.builders import fans, open_drop, tier

EUR = Money(1000, "EUR")


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([], "needs 1 to 20 tiers"),
        ([TierSpec("A", "digital", EUR, 0)], "stock must be between 1 and"),
        ([TierSpec("A", "digital", EUR, -5)], "stock must be between 1 and"),
        ([TierSpec("A", "digital", EUR, 2.5)], "stock must be a whole number"),  # type: ignore[arg-type]
        ([TierSpec("A", "digital", EUR, 5, 6)], "per-fan limit must be between 1 and 5"),
        ([TierSpec("A", "digital", EUR, 5, 0)], "per-fan limit must be between 1 and 5"),
        ([TierSpec("A", "vinyl", EUR, 5)], "tier kind 'vinyl' is not one of"),
        ([TierSpec(" ", "digital", EUR, 5)], "tier needs a name"),
        ([TierSpec("Album", "digital", EUR, 5)], "give its content"),
        ([TierSpec("Album", "bundle", EUR, 5, 1, "  ")], "give its content"),
        ([TierSpec("A", "digital", 999, 5)], "price must be Money"),  # type: ignore[arg-type]
        (
            [TierSpec("Print", "physical", EUR, 5), TierSpec("print", "physical", EUR, 1)],
            "same name",
        ),
    ],
)
async def test_a_drop_with_bad_tiers_is_refused_and_nothing_is_stored(world, tiers, message):
    with pytest.raises(InvalidInput, match=message):
        await world.core.drops.create("Bad", tiers)
    assert await Drop.all().count() == 0


async def test_a_drop_needs_a_title(world):
    with pytest.raises(InvalidInput, match="needs a title"):
        await world.core.drops.create("   ", [tier()])


async def test_scheduling_refuses_the_past_naive_times_and_a_backwards_window(world):
    drop = await world.core.drops.create("Later", [tier()])
    now = world.clock.now()
    with pytest.raises(InvalidInput, match="is in the past"):
        await world.core.drops.schedule(drop.id, now - timedelta(minutes=1))
    with pytest.raises(InvalidInput, match="needs a time zone"):
        await world.core.drops.schedule(drop.id, now.replace(tzinfo=None) + timedelta(hours=1))
    with pytest.raises(InvalidInput, match="closes_at must be after opens_at"):
        await world.core.drops.schedule(drop.id, now + timedelta(hours=2), now + timedelta(hours=1))
    with pytest.raises(InvalidInput, match="fan tier 'vip' is not one of"):
        await world.core.drops.schedule(
            drop.id, now + timedelta(hours=2), early_access=EarlyAccess("vip", 10)
        )
    assert (await drop_view(drop.id)).status == "draft"


async def test_a_second_open_is_refused_and_an_open_drop_cannot_be_rescheduled(world):
    drop = await open_drop(world.core)
    with pytest.raises(InvalidState, match="already open"):
        await world.core.drops.open(drop.id)
    with pytest.raises(InvalidState, match="only a draft can be scheduled"):
        await world.core.drops.schedule(drop.id, world.clock.now() + timedelta(hours=1))


async def test_a_draft_cannot_close_and_a_closed_drop_cannot_cancel(world):
    drop = await world.core.drops.create("Draft", [tier()])
    with pytest.raises(InvalidState, match="only a selling drop can close"):
        await world.core.drops.close(drop.id)
    await world.core.drops.open(drop.id)
    await world.core.drops.close(drop.id)
    with pytest.raises(InvalidState, match="cannot be cancelled"):
        await world.core.drops.cancel(drop.id)


async def test_cancelling_ends_every_hold_and_puts_the_stock_back(world):
    drop = await open_drop(world.core, tier(stock=3))
    a, b = await fans(2)
    await world.core.holds.reserve(drop.tiers[0].id, a)
    await world.core.holds.reserve(drop.tiers[0].id, b)
    view = await world.core.drops.cancel(drop.id)
    assert (view.status, view.tiers[0].available, view.tiers[0].held) == ("cancelled", 3, 0)
    assert await Reservation.filter(status=HoldStatus.CANCELLED).count() == 2


async def test_a_drop_with_paid_orders_cannot_be_cancelled(world):
    drop = await open_drop(world.core, tier(stock=3))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    price = drop.tiers[0].price
    await world.core.payments.settle(PaymentReceived("pi_1", "stripe", hold.id, price))
    with pytest.raises(InvalidState, match="refund them first"):
        await world.core.drops.cancel(drop.id)
    assert (await drop_view(drop.id)).status == "open"


async def test_the_clock_opens_and_closes_on_time_and_replays_change_nothing(world):
    community = await Community.create(platform="sandbox", platform_ref="c", name="C")
    drop = await world.core.drops.create("Timed", [tier()])
    now = world.clock.now()
    await world.core.drops.schedule(drop.id, now + timedelta(hours=1), now + timedelta(hours=2))
    post = world.announcer.posts[(community.id, drop.id)]
    assert (post.status, post.opens_at) == ("scheduled", now + timedelta(hours=1))
    world.clock.advance(minutes=59)
    assert await world.core.drops.open_due() == 0
    world.clock.advance(minutes=1)
    assert await world.core.drops.open_due() == 1
    assert await world.core.drops.open_due() == 0
    assert world.announcer.posts[(community.id, drop.id)].status == "open"
    world.clock.advance(hours=1)
    assert await world.core.drops.close_due() == 1
    assert await world.core.drops.close_due() == 0
    assert world.announcer.posts[(community.id, drop.id)].status == "closed"
    assert world.announcer.edits == 2  # one post, edited in place: scheduled → open → closed
    [fan] = await fans(1)
    with pytest.raises(InvalidState, match="Timed has closed"):
        await world.core.holds.reserve(drop.tiers[0].id, fan)


async def test_drops_are_listed_in_order_with_their_totals(world):
    await open_drop(world.core, tier(stock=4))
    await world.core.drops.create("Second", [tier(stock=7)])
    listed = await list_drops()
    assert [(d.title, d.status, d.tiers[0].stock) for d in listed] == [
        ("Winter drop", "open", 4),
        ("Second", "draft", 7),
    ]
