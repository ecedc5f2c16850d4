"""Invariant 5: whatever a creator types or a fan taps that does not make sense gets an error
saying what is wrong, and the database is exactly as it was before (on both databases)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.drops.order_rows import PaymentReceived
from core.drops.specs import EarlyAccess, TierSpec
from core.errors import InvalidInput, InvalidState, NotFound
from core.money import Money, parse_price
from tests.builders import fans, open_drop, tier
from tests.unit.state import database_state

EUR = Money(1000, "EUR")


async def busy_shop(world) -> tuple[int, int, int]:
    """An open drop with a fan holding a unit: the state every refusal must leave alone.
    Returns the hold, its fan, and another fan."""
    drop = await open_drop(world.core, tier(stock=3))
    holder, other = await fans(2)
    hold = await world.core.holds.reserve(drop.tiers[0].id, holder)
    return hold.id, holder, other


def spec(
    name: object = "Print",
    kind: object = "physical",
    price: object = EUR,
    stock: object = 5,
    limit: object = 1,
    content: object = "",
) -> TierSpec:
    return TierSpec(name, kind, price, stock, limit, content)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        pytest.param([spec(stock=0)], r"tier 'Print': stock must be between 1 and", id="no-stock"),
        pytest.param([spec(stock=-3)], "stock must be between 1 and 1000000, got -3", id="neg"),
        pytest.param([spec(stock=2.0)], "stock must be a whole number, got 2.0", id="float"),
        pytest.param([spec(stock="5")], "stock must be a whole number, got '5'", id="text"),
        pytest.param([spec(stock=10**7)], "stock must be between 1 and 1000000", id="huge"),
        pytest.param(
            [spec(stock=5, limit=6)], "per-fan limit must be between 1 and 5, got 6", id="limit>"
        ),
        pytest.param([spec(limit=0)], "per-fan limit must be between 1 and 5, got 0", id="lim0"),
        pytest.param([], "a drop needs 1 to 20 tiers", id="no-tiers"),
        pytest.param([spec(name=f"T{n}") for n in range(21)], "1 to 20 tiers", id="21-tiers"),
        pytest.param(
            [spec(name="Print"), spec(name=" print ")],
            "two tiers have the same name; give each tier its own",
            id="same-name",
        ),
        pytest.param([spec(name="")], "a tier needs a name of 1 to 80 characters", id="no-name"),
        pytest.param([spec(name="x" * 81)], "a tier needs a name of 1 to 80", id="long-name"),
        pytest.param(
            [spec(kind="vinyl")],
            "tier kind 'vinyl' is not one of digital, physical, bundle",
            id="kind",
        ),
        pytest.param([spec(price=9.99)], "the price must be Money, not 9.99", id="price"),
        pytest.param(
            [spec(kind="digital")], "tier 'Print' is digital: give its content", id="no-content"
        ),
        pytest.param([spec(content="x" * 2001)], "content is text of at most 2000", id="content"),
    ],
)
async def test_a_drop_with_bad_tiers_is_refused_and_nothing_changes(world, tiers, message):
    await busy_shop(world)
    before = await database_state()
    with pytest.raises(InvalidInput, match=message):
        await world.core.drops.create("New drop", tiers)
    assert await database_state() == before


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("", "a drop needs a title of 1 to 120 characters"),
        ("   ", "a drop needs a title of 1 to 120 characters"),
        ("x" * 121, "a drop needs a title of 1 to 120 characters"),
        (None, "a drop needs a title"),
    ],
)
async def test_a_drop_without_a_usable_title_is_refused_and_nothing_changes(world, title, message):
    await busy_shop(world)
    before = await database_state()
    with pytest.raises(InvalidInput, match=message):
        await world.core.drops.create(title, [tier()])
    assert await database_state() == before


@pytest.mark.parametrize(
    ("minutes", "message"),
    [
        (0, "hold minutes must be between 1 and 1440, got 0"),
        (1441, "hold minutes must be between 1 and 1440, got 1441"),
        (2.5, "hold minutes must be a whole number, got 2.5"),
    ],
)
async def test_a_hold_time_out_of_range_is_refused_and_nothing_changes(world, minutes, message):
    await busy_shop(world)
    before = await database_state()
    with pytest.raises(InvalidInput, match=message):
        await world.core.drops.create("New drop", [tier()], hold_minutes=minutes)
    assert await database_state() == before


async def test_an_absurdly_large_price_is_refused_with_a_clear_error(world):
    await busy_shop(world)
    before = await database_state()
    with pytest.raises(InvalidInput, match="price"):
        await world.core.drops.create("Gold", [spec(price=parse_price("1" + "0" * 20 + " EUR"))])
    assert await database_state() == before


@pytest.mark.parametrize(
    ("opens_in", "closes_in", "naive", "message"),
    [
        pytest.param(timedelta(minutes=-1), None, False, r"opens_at .* is in the past", id="past"),
        pytest.param(timedelta(0), None, False, "is in the past", id="now"),
        pytest.param(timedelta(hours=1), None, True, "opens_at needs a time zone", id="naive"),
        pytest.param(
            timedelta(hours=2),
            timedelta(hours=1),
            False,
            "closes_at must be after opens_at",
            id="closes-before-opens",
        ),
        pytest.param(
            timedelta(hours=2),
            timedelta(hours=2),
            False,
            "closes_at must be after opens_at",
            id="closes-when-opens",
        ),
    ],
)
async def test_a_schedule_that_cannot_happen_is_refused_and_the_drop_stays_a_draft(
    world, opens_in, closes_in, naive, message
):
    await busy_shop(world)
    drop = await world.core.drops.create("Later", [tier()])
    before = await database_state()
    now = world.clock.now()
    opens_at = now + opens_in
    if naive:
        opens_at = opens_at.replace(tzinfo=None)
    closes_at = now + closes_in if closes_in is not None else None
    with pytest.raises(InvalidInput, match=message):
        await world.core.drops.schedule(drop.id, opens_at, closes_at)
    assert await database_state() == before


async def test_a_naive_closing_time_is_refused(world):
    drop = await world.core.drops.create("Later", [tier()])
    before = await database_state()
    opens_at = world.clock.now() + timedelta(hours=1)
    closes_at = (opens_at + timedelta(hours=1)).replace(tzinfo=None)
    with pytest.raises(InvalidInput, match="closes_at needs a time zone"):
        await world.core.drops.schedule(drop.id, opens_at, closes_at)
    assert await database_state() == before


@pytest.mark.parametrize(
    ("early", "message"),
    [
        (EarlyAccess("vip", 30), "fan tier 'vip' is not one of fan, supporter, insider"),
        (EarlyAccess("insider", 0), "early access minutes must be between 1 and 10080, got 0"),
        (EarlyAccess("insider", 90.5), "early access minutes must be a whole number"),  # type: ignore[arg-type]
    ],
)
async def test_bad_early_access_is_refused_and_the_drop_stays_a_draft(world, early, message):
    drop = await world.core.drops.create("Later", [tier()])
    before = await database_state()
    opens_at = world.clock.now() + timedelta(hours=1)
    with pytest.raises(InvalidInput, match=message):
        await world.core.drops.schedule(drop.id, opens_at, early_access=early)
    assert await database_state() == before


async def test_a_drop_that_does_not_exist_cannot_be_driven(world):
    await busy_shop(world)
    before = await database_state()
    later = world.clock.now() + timedelta(hours=1)
    for action in (
        world.core.drops.open(404),
        world.core.drops.close(404),
        world.core.drops.cancel(404),
        world.core.drops.schedule(404, later),
    ):
        with pytest.raises(NotFound, match="there is no drop #404"):
            await action
    assert await database_state() == before


async def test_a_fan_tapping_a_tier_that_does_not_exist_is_told_and_nothing_changes(world):
    *_, fan = await busy_shop(world)
    before = await database_state()
    with pytest.raises(NotFound, match="there is no tier #999"):
        await world.core.holds.reserve(999, fan)
    with pytest.raises(NotFound, match="there is no tier #999"):
        await world.core.holds.join_waitlist(999, fan)
    assert await database_state() == before


async def test_a_fan_cannot_get_a_pay_link_for_someone_elses_hold(world):
    hold_id, _, stranger = await busy_shop(world)
    before = await database_state()
    with pytest.raises(NotFound, match=f"you have no hold #{hold_id}"):
        await world.core.holds.pay_link(hold_id, stranger)
    assert await database_state() == before
    assert world.pay_links.created == {}


async def test_a_lapsed_hold_gives_no_pay_link(world):
    hold_id, holder, _ = await busy_shop(world)
    world.clock.advance(minutes=10)
    await world.core.tick()
    before = await database_state()
    with pytest.raises(InvalidState, match=f"hold #{hold_id} is expired; it can no longer be paid"):
        await world.core.holds.pay_link(hold_id, holder)
    assert await database_state() == before
    assert world.pay_links.created == {}


async def test_a_fan_over_their_limit_is_told_the_limit_and_nothing_changes(world):
    drop = await open_drop(world.core, tier("Poster", stock=5, limit=2))
    [fan] = await fans(1)
    tier_id = drop.tiers[0].id
    for _ in range(2):
        hold = await world.core.holds.reserve(tier_id, fan)
        await world.core.payments.settle(
            PaymentReceived(f"pi_{hold.id}", "sandbox", hold.id, hold.price)
        )
    before = await database_state()
    message = "you already hold or bought 2 of Poster, the most one fan can"
    with pytest.raises(InvalidState, match=message):
        await world.core.holds.reserve(tier_id, fan)
    with pytest.raises(InvalidState, match=message):
        await world.core.holds.join_waitlist(tier_id, fan)
    assert await database_state() == before


async def test_a_failed_payment_notice_for_an_unknown_hold_is_refused(world):
    await busy_shop(world)
    before = await database_state()
    with pytest.raises(NotFound, match="there is no hold #404"):
        await world.core.holds.payment_failed(404)
    assert await database_state() == before
    assert world.messenger.sent == []
