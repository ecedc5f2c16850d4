"""Pop-ups from the creator's and the fan's side: the creator sets up pickup windows, a fan
chooses one at Buy (no shipping address asked), and each pickup order gets exactly one pass,
whatever the webhooks do; its receipt and `/me` say where, when and how it stands."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from adapters import pickup_words, wording
from core.drops.order_rows import PaymentReceived
from core.errors import DropcastError, InvalidInput, InvalidState, NotFound
from core.fans import profile
from core.messages import OrderConfirmed, Pickup
from core.models import PickupPass, Reservation
from core.money import Money
from core.popups.places import clock_time, window
from tests.builders import fans, open_drop, tier
from tests.popup_builders import PLACE, a_fan, bought, everything, passes, stall

PRICE = Money(2500, "EUR")


async def test_a_creator_sets_up_pop_ups_and_fans_of_the_physical_tier_are_offered_them(world):
    where = await stall(world.core)
    later = where.pop_up.starts_at + timedelta(days=1)
    second = await world.core.pop_ups.create(
        where.drop_id, "  Dock 9,   Nantes ", later, later + timedelta(hours=2)
    )
    assert second.place == "Dock 9, Nantes"
    choices = await world.core.pop_ups.choices(where.tier_id)
    assert [c.place for c in choices] == [PLACE, "Dock 9, Nantes"]
    assert await world.core.pop_ups.choices(where.digital_tier_id) == []  # nothing to pick up
    world.clock.advance(hours=6)  # the first window ended
    assert [c.id for c in await world.core.pop_ups.choices(where.tier_id)] == [second.id]


@pytest.mark.parametrize(
    ("case", "refusal"),
    [
        ("ends before it starts", InvalidInput),
        ("already ended", InvalidInput),
        ("no place", InvalidInput),
        ("place too long", InvalidInput),
        ("unknown drop", NotFound),
        ("digital drop", InvalidState),
        ("unknown zone", InvalidInput),
    ],
)
async def test_a_pop_up_that_cannot_be_is_refused_and_nothing_is_saved(world, case, refusal):
    where = await stall(world.core)
    digital = await open_drop(world.core, tier("Album", kind="digital"))
    now = world.clock.now()
    drop, place, starts, ends = where.drop_id, "Hall 4", now, now + timedelta(hours=2)
    zone = "UTC"
    match case:
        case "ends before it starts":
            ends = starts
        case "already ended":
            starts, ends = now - timedelta(hours=3), now - timedelta(hours=1)
        case "no place":
            place = "   "
        case "place too long":
            place = "x" * 121
        case "unknown drop":
            drop = 99_999
        case "digital drop":
            drop = digital.id
        case "unknown zone":
            zone = "Europe/Atlantis"
    before = await everything()
    with pytest.raises(refusal):
        await world.core.pop_ups.create(drop, place, starts, ends, zone)
    assert await everything() == before


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("another drop's pop-up", "is not one of Winter drop's"),
        ("window ended", "has ended; choose another or shipping"),
        ("digital tier", "Album is not physical: there is nothing to pick up"),
        ("unknown pop-up", "there is no pop-up #99999"),
    ],
)
async def test_a_pickup_that_cannot_be_is_refused_and_nothing_is_held(world, case, says):
    where, elsewhere = await stall(world.core), await stall(world.core, place="Dock 9")
    fan = await a_fan()
    tier_id, pop_up_id = where.tier_id, where.pop_up.id
    match case:
        case "another drop's pop-up":
            pop_up_id = elsewhere.pop_up.id
        case "window ended":
            world.clock.advance(hours=5, minutes=1)
        case "digital tier":
            tier_id = where.digital_tier_id
        case "unknown pop-up":
            pop_up_id = 99_999
    before = await everything()
    with pytest.raises(DropcastError, match=says):
        await world.core.holds.reserve(tier_id, fan, pop_up_id=pop_up_id)
    assert await everything() == before


async def test_a_pickup_holds_with_its_pop_up_and_its_pay_link_asks_no_address(world):
    where = await stall(world.core)
    fan, shipped_fan = await fans(2)
    hold = await world.core.holds.reserve(where.tier_id, fan, pop_up_id=where.pop_up.id)
    shipped = await world.core.holds.reserve(where.tier_id, shipped_fan)
    assert (await Reservation.get(id=hold.id)).pop_up_id == where.pop_up.id
    await world.core.holds.pay_link(hold.id, fan)
    await world.core.holds.pay_link(shipped.id, shipped_fan)
    asked = {each.hold_id: each.pickup for each in world.pay_links.created.values()}
    span = window(where.pop_up.starts_at, where.pop_up.ends_at, where.pop_up.zone)
    assert asked == {hold.id: f"Pickup at {PLACE}, {span}", shipped.id: None}


async def test_tapping_again_with_another_choice_keeps_the_hold_and_takes_the_choice(world):
    where = await stall(world.core)
    fan = await a_fan()
    first = await world.core.holds.reserve(where.tier_id, fan)
    again = await world.core.holds.reserve(where.tier_id, fan, pop_up_id=where.pop_up.id)
    assert again.id == first.id
    assert (await Reservation.get(id=first.id)).pop_up_id == where.pop_up.id


async def test_a_pickup_order_gets_its_pass_and_a_receipt_saying_where_and_when(world):
    where = await stall(world.core)
    fan, shipped_fan = await fans(2)
    order_id = await bought(world.core, where, fan)
    hold = await world.core.holds.reserve(where.tier_id, shipped_fan)
    await world.core.payments.settle(PaymentReceived("pi_ship", "stripe", hold.id, PRICE))
    await world.core.notices.settled()
    [made] = await PickupPass.all()
    assert (made.order_id, made.pop_up_id) == (order_id, where.pop_up.id)
    link = await world.core.pass_codes.link(made.id, where.pop_up.id)
    pickup = Pickup(PLACE, where.pop_up.starts_at, where.pop_up.ends_at, link)
    receipt = OrderConfirmed(order_id, "Winter drop", "Signed print", PRICE, None, pickup)
    assert world.messenger.to(fan) == [receipt]
    assert wording.fan_text(receipt).endswith(
        f"Pick it up at {PLACE}, {window(pickup.starts_at, pickup.ends_at, pickup.zone)}. "
        f"Show this pass there: {link}"
    )
    assert [m.pickup for m in world.messenger.to(shipped_fan)] == [None]  # type: ignore[union-attr]


async def test_one_pass_per_pickup_order_whatever_the_webhooks_do(world):
    """Invariant 2 for passes: repeated, concurrent, batched and late payments."""
    where = await stall(world.core, stock=10)
    again, racing, late, *burst = await fans(6)
    holds = {
        fan: await world.core.holds.reserve(where.tier_id, fan, pop_up_id=where.pop_up.id)
        for fan in (again, racing, late, *burst)
    }

    def paid(fan: int, payment_id: str) -> PaymentReceived:
        return PaymentReceived(payment_id, "stripe", holds[fan].id, PRICE)

    for _ in range(3):
        await world.core.payments.settle(paid(again, "pi_again"))
    await asyncio.gather(*(world.core.payments.settle(paid(racing, "pi_race")) for _ in range(5)))
    together = [paid(fan, f"pi_burst_{n}") for n, fan in enumerate(burst)]
    await asyncio.gather(*(world.core.payments.settle(each) for each in together + together))
    world.clock.advance(minutes=11)  # the late fan's hold lapses before their payment lands
    await world.core.tick()
    late_order = await world.core.payments.settle(paid(late, "pi_late"))
    assert late_order.hold_id != holds[late].id  # a fresh unit, still picked up there
    await world.core.notices.settled()

    made = await passes()
    assert len(made) == 6
    assert len({order for order, _ in made}) == 6
    assert {pop_up for _, pop_up in made} == {where.pop_up.id}
    for fan in holds:
        [receipt] = [m for m in world.messenger.to(fan) if isinstance(m, OrderConfirmed)]
        assert receipt.pickup is not None


async def test_a_wrong_amount_gets_no_pass_until_it_is_a_real_order(world):
    where = await stall(world.core)
    fan = await a_fan()
    hold = await world.core.holds.reserve(where.tier_id, fan, pop_up_id=where.pop_up.id)
    await world.core.payments.settle(PaymentReceived("pi_x", "stripe", hold.id, Money(1, "EUR")))
    assert await passes() == []


async def test_me_shows_each_pass_waiting_then_collected_missed_or_void(world):
    where = await stall(world.core)
    waiting, collected, missed, refunded = await fans(4)
    orders = {
        fan: await bought(world.core, where, fan) for fan in (waiting, collected, missed, refunded)
    }
    await world.core.orders.refund(orders[refunded], "changed their mind")
    world.clock.advance(hours=2)
    await PickupPass.filter(order_id=orders[collected]).update(collected_at=world.clock.now())

    def line(fan_profile) -> str:
        return wording.profile_text(fan_profile).splitlines()[-1]

    span = window(where.pop_up.starts_at, where.pop_up.ends_at, where.pop_up.zone)
    assert line(await profile(waiting)) == f"  ↳ pickup at {PLACE}, {span}: waiting"
    assert (
        line(await profile(collected)) == f"  ↳ pickup at {PLACE}, {span}: collected at 14:00 UTC"
    )
    assert (
        line(await profile(refunded))
        == f"  ↳ pickup at {PLACE}, {span}: void: the order was refunded"
    )
    world.clock.advance(hours=4)
    await world.core.tick()
    assert line(await profile(missed)) == f"  ↳ pickup at {PLACE}, {span}: missed"
    assert line(await profile(waiting)) == f"  ↳ pickup at {PLACE}, {span}: missed"


async def test_a_pop_up_no_fan_chose_can_be_cancelled_one_chosen_stays(world):
    where = await stall(world.core)
    later = where.pop_up.starts_at + timedelta(days=1)
    unchosen = await world.core.pop_ups.create(
        where.drop_id, "Dock 9", later, later + timedelta(hours=1)
    )
    fan = await a_fan()
    await world.core.holds.reserve(where.tier_id, fan, pop_up_id=where.pop_up.id)
    assert (await world.core.pop_ups.cancel(unchosen.id)).place == "Dock 9"
    before = await everything()
    with pytest.raises(InvalidState, match="fans chose pop-up"):
        await world.core.pop_ups.cancel(where.pop_up.id)
    with pytest.raises(NotFound):
        await world.core.pop_ups.cancel(unchosen.id)
    assert await everything() == before


async def test_a_pop_up_shows_its_window_and_pickups_on_the_clock_of_its_place(world):
    """Fans stand at the place: "14:00 to 18:00 CET" in Paris in December, not UTC."""
    drop = await open_drop(world.core, tier("Signed print"))
    starts = datetime(2030, 12, 12, 13, 0, tzinfo=UTC)  # 14:00 in Paris
    paris = await world.core.pop_ups.create(
        drop.id, "Atelier, Paris", starts, starts + timedelta(hours=4), "Europe/Paris"
    )
    assert pickup_words.choice(paris) == "Pick up at Atelier, Paris, 12 Dec 14:00 to 18:00 CET"
    assert clock_time(starts + timedelta(minutes=2), paris.zone) == "14:02"
    assert clock_time(starts, "UTC") == "13:00 UTC"
