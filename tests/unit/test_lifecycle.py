"""A drop's life as the creator and the clock drive it: draft → scheduled → open → sold out |
closed, or cancelled. A transition that is not allowed is refused and changes nothing; timed
ones happen once, at the right time; the community post follows, edited in place."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.drops.order_rows import PaymentReceived
from core.drops.specs import EarlyAccess
from core.drops.views import drop_view, list_drops
from core.errors import InvalidState
from core.kinds import DropStatus, HoldStatus
from core.messages import HoldCalledOff, PayLinkOffer
from core.models import Community, Drop, Fan, Reservation
from core.money import Money
from tests.builders import fans, open_drop, tier
from tests.unit.state import database_state


async def community(ref: str = "main") -> int:
    row = await Community.create(platform="sandbox", platform_ref=ref, name=ref.title())
    return row.id


async def test_an_open_drop_cannot_be_scheduled(world):
    drop = await open_drop(world.core)
    before = await database_state()
    with pytest.raises(
        InvalidState, match=f"drop #{drop.id} is open; only a draft can be scheduled"
    ):
        await world.core.drops.schedule(drop.id, world.clock.now() + timedelta(hours=1))
    assert await database_state() == before


async def test_opening_an_open_drop_again_says_it_is_already_open_and_announces_nothing(world):
    main = await community()
    drop = await open_drop(world.core)
    before, edits = await database_state(), world.announcer.edits
    with pytest.raises(InvalidState, match=f"drop #{drop.id} is already open; it cannot open"):
        await world.core.drops.open(drop.id)
    assert await database_state() == before
    assert world.announcer.edits == edits
    assert world.announcer.posts[(main, drop.id)].status == "open"


async def test_a_draft_cannot_be_closed(world):
    drop = await world.core.drops.create("Draft", [tier()])
    before = await database_state()
    with pytest.raises(
        InvalidState, match=f"drop #{drop.id} is draft; only a selling drop can close"
    ):
        await world.core.drops.close(drop.id)
    assert await database_state() == before


async def test_a_drop_someone_paid_for_cannot_be_cancelled_until_refunded(world):
    main = await community()
    drop = await open_drop(world.core, tier(stock=3))
    buyer, holder = await fans(2)
    tier_id = drop.tiers[0].id
    bought = await world.core.holds.reserve(tier_id, buyer)
    await world.core.payments.settle(
        PaymentReceived("pi_1", "stripe", bought.id, drop.tiers[0].price)
    )
    await world.core.holds.reserve(tier_id, holder)
    before = await database_state()
    with pytest.raises(InvalidState, match=r"has paid orders \(#1\); refund them first"):
        await world.core.drops.cancel(drop.id)
    assert await database_state() == before
    assert world.announcer.posts[(main, drop.id)].status == "open"
    view = await drop_view(drop.id)
    assert (view.tiers[0].available, view.tiers[0].held, view.tiers[0].sold) == (1, 1, 1)


async def test_a_drop_whose_only_payment_was_refunded_can_be_cancelled(world):
    drop = await open_drop(world.core, tier(stock=3))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    wrong = PaymentReceived("pi_1", "stripe", hold.id, Money(1, "EUR"))
    flagged = await world.core.payments.settle(wrong)
    with pytest.raises(InvalidState, match=r"has paid orders \(#1\)"):
        await world.core.drops.cancel(drop.id)  # the flagged money must be settled first
    await world.core.orders.refund(flagged.id, "paid the wrong amount")
    view = await world.core.drops.cancel(drop.id)
    assert (view.status, view.tiers[0].available) == ("cancelled", 3)


async def test_cancelling_ends_every_hold_and_restores_the_stock_on_every_tier(world):
    main = await community()
    drop = await open_drop(world.core, tier("Print", stock=3, limit=2), tier("Zine", stock=1))
    a, b = await fans(2)
    print_id, zine_id = (line.id for line in drop.tiers)
    await world.core.holds.reserve(print_id, a)
    await world.core.holds.reserve(print_id, a)
    await world.core.holds.reserve(zine_id, b)
    assert (await drop_view(drop.id)).status == "open"
    view = await world.core.drops.cancel(drop.id)
    assert view.status == "cancelled"
    assert [(t.available, t.held, t.sold) for t in view.tiers] == [(3, 0, 0), (1, 0, 0)]
    ended = await Reservation.all().values_list("status", "slot", "ended_at")
    assert ended == [(HoldStatus.CANCELLED, None, world.clock.now())] * 3
    assert world.announcer.posts[(main, drop.id)].status == "cancelled"
    with pytest.raises(InvalidState, match="is cancelled, not open"):
        await world.core.holds.reserve(print_id, b)
    with pytest.raises(InvalidState, match="it cannot be cancelled"):
        await world.core.drops.cancel(drop.id)
    told = [(fan, type(message)) for fan, message in world.messenger.sent]
    assert told == [(a, HoldCalledOff), (a, HoldCalledOff), (b, HoldCalledOff)]
    world.clock.advance(minutes=30)
    await world.core.tick()  # the cancelled holds do not lapse a second time
    assert len(world.messenger.sent) == 3
    assert [(t.available, t.held) for t in (await drop_view(drop.id)).tiers] == [(3, 0), (1, 0)]


async def test_cancelling_stops_the_pay_links_of_holds_in_progress(world):
    drop = await open_drop(world.core, tier(stock=2))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    link = await world.core.holds.pay_link(hold.id, fan)
    await world.core.drops.cancel(drop.id)
    assert link.provider_ref in world.pay_links.cancelled
    assert world.messenger.to(fan) == [HoldCalledOff(hold.id, "Winter drop", "Signed print")]


async def test_the_clock_opens_and_closes_a_drop_at_its_times_and_replays_change_nothing(world):
    main = await community()
    drop = await world.core.drops.create("Timed", [tier()])
    start = world.clock.now()
    opens_at, closes_at = start + timedelta(hours=1), start + timedelta(hours=3)
    await world.core.drops.schedule(drop.id, opens_at, closes_at)
    world.clock.set(opens_at - timedelta(seconds=1))
    assert (await world.core.drops.open_due(), await world.core.drops.close_due()) == (0, 0)
    assert (await drop_view(drop.id)).status == "scheduled"
    world.clock.set(opens_at)
    assert await world.core.drops.open_due() == 1
    world.clock.advance(minutes=5)
    assert await world.core.drops.open_due() == 0
    row = await Drop.get(id=drop.id)
    assert (row.status, row.opened_at) == (DropStatus.OPEN, opens_at)
    world.clock.set(closes_at - timedelta(seconds=1))
    assert await world.core.drops.close_due() == 0
    world.clock.set(closes_at)
    assert await world.core.drops.close_due() == 1
    assert await world.core.drops.close_due() == 0
    assert await world.core.drops.open_due() == 0
    row = await Drop.get(id=drop.id)
    assert (row.status, row.ended_at) == (DropStatus.CLOSED, closes_at)
    assert world.announcer.posts[(main, drop.id)].status == "closed"
    assert world.announcer.edits == 2  # scheduled, then edited to open, then to closed


async def test_a_clock_that_wakes_up_late_opens_then_closes_a_drop_whose_window_passed(world):
    main = await community()
    drop = await world.core.drops.create("Missed", [tier()])
    now = world.clock.now()
    await world.core.drops.schedule(drop.id, now + timedelta(hours=1), now + timedelta(hours=2))
    world.clock.advance(hours=5)
    await world.core.tick()
    await world.core.tick()
    assert (await drop_view(drop.id)).status == "closed"
    assert world.announcer.posts[(main, drop.id)].status == "closed"
    assert world.announcer.edits == 2


async def test_a_scheduled_drop_moved_later_opens_at_the_new_time(world):
    drop = await world.core.drops.create("Moved", [tier()])
    now = world.clock.now()
    await world.core.drops.schedule(drop.id, now + timedelta(hours=1))
    await world.core.drops.schedule(drop.id, now + timedelta(hours=2))
    world.clock.advance(hours=1)
    assert await world.core.drops.open_due() == 0
    world.clock.advance(hours=1)
    assert await world.core.drops.open_due() == 1


async def test_the_announcement_is_one_post_edited_through_the_whole_drop(world):
    main, other = await community("main"), await community("other")
    drop = await world.core.drops.create("Tour poster", [tier("Poster", stock=2)])
    opens_at = world.clock.now() + timedelta(minutes=30)
    await world.core.drops.schedule(drop.id, opens_at)
    seen = []

    async def shows() -> tuple[str, int]:
        await world.core.notices.settled()  # a sale's post edits follow its answer
        post = world.announcer.posts[(main, drop.id)]
        assert world.announcer.posts[(other, drop.id)] == post
        return post.status, post.tiers[0].available

    seen.append(await shows())
    world.clock.set(opens_at)
    await world.core.tick()
    seen.append(await shows())
    a, b = await fans(2)
    await world.core.holds.reserve(drop.tiers[0].id, a)
    await world.core.holds.reserve(drop.tiers[0].id, b)
    seen.append(await shows())
    await world.core.drops.close(drop.id)
    seen.append(await shows())
    assert seen == [("scheduled", 2), ("open", 2), ("sold_out", 0), ("closed", 0)]
    assert world.announcer.posts[(main, drop.id)].opens_at == opens_at
    # each community's post announced once, then edited at each of the 3 changes (the
    # platforms' adapters edit their message in place: test_telegram.py, test_discord.py)
    assert world.announcer.edits == 2 * 3


async def test_a_sold_out_drop_reopens_when_a_hold_lapses_and_the_post_says_so(world):
    main = await community()
    drop = await open_drop(world.core, tier(stock=1))
    [fan] = await fans(1)
    await world.core.holds.reserve(drop.tiers[0].id, fan)
    await world.core.notices.settled()
    post = world.announcer.posts[(main, drop.id)]
    assert (post.status, post.tiers[0].available) == ("sold_out", 0)
    world.clock.advance(minutes=10)
    await world.core.tick()
    await world.core.notices.settled()
    post = world.announcer.posts[(main, drop.id)]
    assert (post.status, post.tiers[0].available) == ("open", 1)
    assert (await drop_view(drop.id)).status == "open"


async def test_a_drop_that_sells_out_during_early_access_opens_as_sold_out(world):
    main = await community()
    drop = await world.core.drops.create("Early", [tier(stock=1)])
    opens_at = world.clock.now() + timedelta(hours=1)
    await world.core.drops.schedule(drop.id, opens_at, early_access=EarlyAccess("insider", 30))
    [insider] = await fans(1)
    await Fan.filter(id=insider).update(tier="insider")
    world.clock.set(opens_at - timedelta(minutes=5))
    await world.core.holds.reserve(drop.tiers[0].id, insider)
    world.clock.set(opens_at)
    await world.core.tick()
    await world.core.notices.settled()
    post = world.announcer.posts[(main, drop.id)]
    assert (post.status, post.tiers[0].available) == ("sold_out", 0)


async def test_after_closing_a_lapsed_hold_goes_back_to_stock_not_to_the_waitlist(world):
    drop = await open_drop(world.core, tier(stock=1))
    holder, waiting = await fans(2)
    tier_id = drop.tiers[0].id
    await world.core.holds.reserve(tier_id, holder)
    await world.core.holds.join_waitlist(tier_id, waiting)
    await world.core.drops.close(drop.id)
    world.clock.advance(minutes=10)
    await world.core.tick()
    view = await drop_view(drop.id)
    assert (view.status, view.tiers[0].available, view.tiers[0].held) == ("closed", 1, 0)
    assert world.messenger.to(waiting) == []
    assert await Reservation.filter(fan_id=waiting).count() == 0


async def test_a_fan_whose_waitlist_offer_lapsed_can_queue_again(world):
    drop = await open_drop(world.core, tier(stock=1))
    first, waiting, third = await fans(3)
    tier_id = drop.tiers[0].id
    await world.core.holds.reserve(tier_id, first)
    assert await world.core.holds.join_waitlist(tier_id, waiting) == 1
    world.clock.advance(minutes=10)
    await world.core.tick()  # the unit is offered to the fan waiting…
    world.clock.advance(minutes=10)
    await world.core.tick()  # …who lets the offer lapse too
    await world.core.holds.reserve(tier_id, third)
    assert await world.core.holds.join_waitlist(tier_id, waiting) == 1
    world.clock.advance(minutes=10)
    await world.core.tick()
    offers = [m for m in world.messenger.to(waiting) if isinstance(m, PayLinkOffer)]
    assert len(offers) == 2


async def test_drops_are_listed_in_order_with_their_totals(world):
    await open_drop(world.core, tier(stock=4))
    await world.core.drops.create("Second", [tier(stock=7)])
    listed = await list_drops()
    assert [(d.title, d.status, d.tiers[0].stock) for d in listed] == [
        ("Winter drop", "open", 4),
        ("Second", "draft", 7),
    ]


async def test_a_drop_code_can_be_typed_after_a_command(world):
    """Codes go after `dropcast drop link`, where one starting with "-" reads as an option."""
    codes = [(await world.core.drops.create(f"Drop {n}", [tier()])).code for n in range(100)]
    assert all(code.isalnum() and len(code) == 8 for code in codes)
    assert len(set(codes)) == 100
