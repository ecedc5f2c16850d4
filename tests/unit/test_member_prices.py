"""What members get in drops (core/drops/members.py), on both databases: their member price,
decided from the database and kept on the hold so the pay link, the order and a refund all
take it; member-only tiers and drops; members' early access; and all of it ending with the
membership."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.drops.order_rows import PaymentReceived
from core.drops.specs import EarlyAccess, TierSpec, parse_tier
from core.drops.views import drop_view
from core.errors import InvalidInput, InvalidState
from core.fans import FanRef
from core.kinds import HoldStatus, OrderStatus
from core.models import (
    DropTier,
    Fan,
    Membership,
    Order,
    PlatformAccount,
    Reservation,
    WaitlistEntry,
)
from core.money import Money, parse_price
from tests.builders import fans, make_member, open_drop, tier

EUR = parse_price


def member_tier(
    name: str = "Signed print",
    *,
    price: str = "9.00 EUR",
    member: str | None = "7.00 EUR",
    only: bool = False,
    stock: int = 10,
) -> TierSpec:
    """A tier at 9.00 EUR, 7.00 EUR to members."""
    return tier(name, price=price, stock=stock, member_price=member, members_only=only)


async def pay(world, hold_id: int, amount: Money) -> str:
    order = await world.core.payments.settle(
        PaymentReceived(f"pi_{hold_id}", "sandbox", hold_id, amount)
    )
    return order.status


async def test_a_member_holds_and_pays_the_member_price_and_others_the_public_one(world):
    drop = await open_drop(world.core, member_tier())
    member, other = await fans(2)
    await make_member(world.core, member)
    tier_id = drop.tiers[0].id

    held = await world.core.holds.reserve(tier_id, member)
    public = await world.core.holds.reserve(tier_id, other)
    assert (held.price, public.price) == (EUR("7.00 EUR"), EUR("9.00 EUR"))

    for hold in (held, public):  # the pay link asks the provider for the hold's own price
        await world.core.holds.pay_link(hold.id, hold.fan_id)
    asked = {link.hold_id: link.price for link in world.pay_links.created.values()}
    assert asked == {held.id: EUR("7.00 EUR"), public.id: EUR("9.00 EUR")}
    offer = await world.core.holds.offer(held.id)
    assert (offer.price, offer.pitch.was, offer.pitch.member) == (
        EUR("7.00 EUR"), EUR("9.00 EUR"), True,
    )  # fmt: skip
    assert (await world.core.holds.offer(public.id)).pitch.was is None

    assert await pay(world, held.id, EUR("7.00 EUR")) == OrderStatus.PAID
    assert await pay(world, public.id, EUR("9.00 EUR")) == OrderStatus.PAID
    amounts = {o.fan_id: o.amount_minor for o in await Order.all()}
    assert amounts == {member: 700, other: 900}


async def test_a_refund_gives_back_what_the_member_paid(world):
    drop = await open_drop(world.core, member_tier())
    [member] = await fans(1)
    await make_member(world.core, member)
    hold = await world.core.holds.reserve(drop.tiers[0].id, member)
    await pay(world, hold.id, EUR("7.00 EUR"))
    [order] = await world.core.orders.list()
    await world.core.payments.refund(order.id, "sorry")
    assert [amount for _, amount, _ in world.refunds.refunded] == [EUR("7.00 EUR")]


async def test_the_price_is_the_holds_not_what_the_fan_sends(world):
    """A non-member who pays the member price, or a member's pay-in with the wrong sum, is
    flagged, never fulfilled; Telegram's pre-checkout refuses it before money moves."""
    drop = await open_drop(world.core, member_tier(stock=5))
    member, other = await fans(2)
    await make_member(world.core, member)
    tier_id = drop.tiers[0].id
    public = await world.core.holds.reserve(tier_id, other)
    held = await world.core.holds.reserve(tier_id, member)
    ref = await _ref(other)
    with pytest.raises(InvalidState, match=r"the price is 9\.00 EUR, not 7\.00 EUR"):
        await world.core.holds.check_payable(public.id, ref, EUR("7.00 EUR"))
    await world.core.holds.check_payable(held.id, await _ref(member), EUR("7.00 EUR"))
    assert await pay(world, public.id, EUR("7.00 EUR")) == OrderStatus.FLAGGED
    assert await pay(world, held.id, EUR("9.00 EUR")) == OrderStatus.FLAGGED


async def test_a_non_member_is_refused_a_member_only_tier_and_nothing_changes(world):
    drop = await open_drop(
        world.core, member_tier("Club print", member=None, only=True), member_tier("Poster")
    )
    member, other = await fans(2)
    await make_member(world.core, member)
    only, poster = drop.tiers[0].id, drop.tiers[1].id
    with pytest.raises(InvalidState, match=r"Club print is for members only: .*/join"):
        await world.core.holds.reserve(only, other)
    with pytest.raises(InvalidState, match="for members only"):
        await world.core.holds.join_waitlist(only, other)
    assert (await DropTier.get(id=only)).available == 10
    assert not await Reservation.exists(fan_id=other)
    assert not await WaitlistEntry.exists(fan_id=other)
    assert (await world.core.holds.reserve(poster, other)).price == EUR("9.00 EUR")
    assert (await world.core.holds.reserve(only, member)).price == EUR("9.00 EUR")


async def test_a_member_only_drop_refuses_every_tier_to_non_members(world):
    drop = await world.core.drops.create(
        "Members' drop", [member_tier(member=None)], members_only=True
    )
    drop = await world.core.drops.open(drop.id)
    assert drop.members_only
    member, other = await fans(2)
    await make_member(world.core, member)
    with pytest.raises(InvalidState, match="Members' drop is for members only"):
        await world.core.holds.reserve(drop.tiers[0].id, other)
    assert not await Reservation.exists(fan_id=other)
    await world.core.holds.reserve(drop.tiers[0].id, member)


async def test_members_hold_during_their_early_access_and_others_wait(world):
    drop = await world.core.drops.create("Winter drop", [member_tier()])
    opens_at = world.clock.now() + timedelta(hours=1)
    await world.core.drops.schedule(drop.id, opens_at)
    early, late, other = await fans(3)
    await make_member(world.core, early, early=30)
    await make_member(world.core, late, early=0)
    tier_id = drop.tiers[0].id
    world.clock.advance(minutes=35)  # 25 minutes before the opening
    assert (await world.core.holds.reserve(tier_id, early)).price == EUR("7.00 EUR")
    for fan_id in (late, other):
        with pytest.raises(InvalidState, match="opens at"):
            await world.core.holds.reserve(tier_id, fan_id)
    assert not await Reservation.exists(fan_id__in=(late, other))
    world.clock.advance(minutes=25)  # open now
    await world.core.tick()
    assert (await world.core.holds.reserve(tier_id, other)).price == EUR("9.00 EUR")
    assert (await world.core.holds.reserve(tier_id, late)).price == EUR("7.00 EUR")


async def test_a_member_gets_the_longer_of_their_two_early_access_windows(world):
    """Recognition (insider: 10 minutes) and membership (30 minutes): the larger window."""
    drop = await world.core.drops.create("Winter drop", [member_tier()])
    opens_at = world.clock.now() + timedelta(hours=1)
    await world.core.drops.schedule(drop.id, opens_at, None, EarlyAccess("insider", 10))
    insider_member, insider = await fans(2)
    await Fan.filter(id__in=(insider_member, insider)).update(tier="insider")
    await make_member(world.core, insider_member, early=30)
    tier_id = drop.tiers[0].id
    world.clock.advance(minutes=40)  # 20 minutes before: only the member's window is open
    await world.core.holds.reserve(tier_id, insider_member)
    with pytest.raises(InvalidState, match="opens at"):
        await world.core.holds.reserve(tier_id, insider)
    world.clock.advance(minutes=11)  # 9 minutes before: the insider's too
    assert (await world.core.holds.reserve(tier_id, insider)).price == EUR("9.00 EUR")


async def test_when_the_membership_ends_so_do_the_price_and_the_member_tiers(world):
    drop = await open_drop(world.core, member_tier(stock=5), member_tier("Club", only=True))
    [fan] = await fans(1)
    await make_member(world.core, fan, days=1)
    prices, club = drop.tiers[0].id, drop.tiers[1].id
    held = await world.core.holds.reserve(prices, fan)
    assert held.price == EUR("7.00 EUR")
    assert (await world.core.holds.drops_for(await _ref(fan), ("open",))).member
    [membership] = await Membership.filter(fan_id=fan)
    assert membership.access_until is not None
    left = (membership.access_until - world.clock.now()).total_seconds()
    world.clock.advance(seconds=left - 1)  # a second before the access ends: still a member
    assert (await world.core.holds.drops_for(await _ref(fan), ("open",))).member
    world.clock.advance(seconds=1)
    assert not (await world.core.holds.drops_for(await _ref(fan), ("open",))).member
    assert not (await world.core.holds.drops_for(await _ref(fan), ("open",))).member
    await world.core.tick()  # the old hold lapsed
    assert (await Reservation.get(id=held.id)).status == HoldStatus.EXPIRED
    assert (await world.core.holds.reserve(prices, fan)).price == EUR("9.00 EUR")
    with pytest.raises(InvalidState, match="for members only"):
        await world.core.holds.reserve(club, fan)


async def test_a_waitlisted_member_is_offered_the_freed_unit_at_their_price(world):
    drop = await open_drop(world.core, member_tier(stock=1))
    buyer, member = await fans(2)
    await make_member(world.core, member)
    tier_id = drop.tiers[0].id
    first = await world.core.holds.reserve(tier_id, buyer)
    await world.core.holds.join_waitlist(tier_id, member)
    world.clock.advance(minutes=11)
    await world.core.tick()
    offered = await Reservation.get(fan_id=member)
    assert offered.id != first.id
    assert offered.price_minor == 700
    assert (await world.core.holds.offer(offered.id)).price == EUR("7.00 EUR")


async def test_the_drop_shows_member_prices_and_member_only_tiers(world):
    drop = await open_drop(world.core, member_tier(), member_tier("Club", member=None, only=True))
    view = await drop_view(drop.id)
    [prices, club] = view.tiers
    assert (prices.member_price, prices.price_for(True), prices.price_for(False)) == (
        EUR("7.00 EUR"), EUR("7.00 EUR"), EUR("9.00 EUR"),
    )  # fmt: skip
    assert (club.member_price, club.members_only) == (None, True)
    lines = view.announcement().tiers
    assert (lines[0].member_price, lines[1].members_only) == (EUR("7.00 EUR"), True)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("name=A, price=9.00 EUR, stock=5, kind=physical, member_price=9.00 EUR", "lower than"),
        ("name=A, price=9.00 EUR, stock=5, kind=physical, member_price=12.00 EUR", "lower than"),
        ("name=A, price=9.00 EUR, stock=5, kind=physical, member_price=7.00 USD", "in EUR"),
        ("name=A, price=500 XTR, stock=5, kind=physical, member_price=4.00 EUR", "in XTR"),
        ("name=A, price=9.00 EUR, stock=5, kind=physical, member_price=7,00 EUR", "7.00 EUR"),
        ("name=A, price=9.00 EUR, stock=5, kind=physical, members=yes", "members=only"),
    ],
)
async def test_bad_member_options_are_refused_and_nothing_is_made(world, text, error):
    with pytest.raises(InvalidInput, match=error):
        await world.core.drops.create("Winter drop", [parse_tier(text)])
    assert not await DropTier.exists()


def test_member_options_are_read_from_the_tier_text():
    spec = parse_tier(
        "name=A, price=500 XTR, stock=5, kind=physical, member_price=400 XTR, members=only"
    ).checked()
    assert (spec.member_price, spec.members_only) == (Money(400, "XTR"), True)


async def _ref(fan_id: int) -> FanRef:
    """The platform user behind a fan made by `fans`."""
    account = await PlatformAccount.get(fan_id=fan_id)
    return FanRef(account.platform, account.platform_user_id, "Fan")
