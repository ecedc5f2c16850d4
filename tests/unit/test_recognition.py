"""Points and tiers: early buyers earn points once, a refund appends the reversal and the
tier follows (invariant 3), and whatever happens the tier is the ledger's sum's tier."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.memory import MemoryAnnouncer
from bots.bootstrap import bootstrap
from config import load_settings
from core.drops.order_rows import PaymentReceived
from core.kinds import FanTier, OrderStatus, Platform
from core.models import Community, Fan, LedgerEntry
from core.recognition import Rules
from tests.builders import fans, open_drop, tier

RULES = Rules()


async def buy(world, fan: int, tier_id: int) -> int:
    hold = await world.core.holds.reserve(tier_id, fan)
    payment = PaymentReceived(f"pi_{hold.id}", "stripe", hold.id, hold.price)
    return (await world.core.payments.settle(payment)).id


async def test_the_first_buyers_earn_points_and_later_ones_do_not(world):
    drop = await open_drop(world.core, tier(stock=20))
    buyers = await fans(12)
    world.clock.advance(minutes=20)  # past the quick-buyer window
    for fan in buyers:
        await buy(world, fan, drop.tiers[0].id)
    points = [await world.core.recognition.points(fan) for fan in buyers]
    assert points == [50] * 10 + [0, 0]
    assert {(await Fan.get(id=fan)).tier for fan in buyers[:10]} == {FanTier.SUPPORTER}


async def test_buying_soon_after_the_opening_earns_more_and_a_replay_earns_nothing(world):
    drop = await open_drop(world.core, tier(stock=5))
    [fan] = await fans(1)
    world.clock.advance(minutes=5)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    payment = PaymentReceived("pi_quick", "stripe", hold.id, hold.price)
    for _ in range(3):  # the webhook redelivered
        await world.core.payments.settle(payment)
    assert await world.core.recognition.points(fan) == 70
    reasons = sorted(await LedgerEntry.filter(fan_id=fan).values_list("reason", flat=True))
    assert reasons == ["early_buyer", "quick_buyer"]


async def test_a_refund_takes_the_points_tier_and_tier_perk_back(world):
    perk = await world.core.perks.register("club", "Club", Platform.TELEGRAM, "-1", "-1")
    await world.core.perks.for_tier("club", "supporter")
    drop = await open_drop(world.core, tier(stock=5))
    [fan] = await fans(1)
    order = await buy(world, fan, drop.tiers[0].id)
    assert (await Fan.get(id=fan)).tier == FanTier.SUPPORTER
    assert world.perks.granted == {(fan, perk.id)}
    await world.core.orders.refund(order, "sorry")
    await world.core.payments.reverse(f"pi_{order}", OrderStatus.REFUNDED)  # Stripe says so too
    assert await world.core.recognition.points(fan) == 0
    assert (await Fan.get(id=fan)).tier == FanTier.FAN
    assert world.perks.granted == set()
    amounts = sorted(await LedgerEntry.filter(fan_id=fan).values_list("amount", flat=True))
    assert amounts == [-50, -20, 20, 50]  # appended, never changed in place


async def test_a_tier_perk_reaches_fans_already_at_that_tier(world):
    drop = await open_drop(world.core, tier(stock=5))
    [fan] = await fans(1)
    world.clock.advance(minutes=30)
    await buy(world, fan, drop.tiers[0].id)
    perk = await world.core.perks.register("club", "Club", Platform.TELEGRAM, "-1", "-1")
    await world.core.perks.for_tier("club", "supporter")
    assert world.perks.granted == {(fan, perk.id)}


ops = st.lists(
    st.tuples(
        st.integers(0, 2),  # which fan
        st.integers(-300, 300),  # points
        st.sampled_from(["early_buyer", "minutes", "live_code", "undo:early_buyer"]),
        st.integers(0, 3),  # source: repeats are replays
    ),
    max_size=25,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=ops)
async def test_any_ledger_history_leaves_each_tier_the_tier_of_its_sum(world, ops):
    await LedgerEntry.all().delete()
    await Fan.all().update(tier=FanTier.FAN)
    people = await fans(3)  # the same three fans in every example
    for who, points, reason, source in ops:
        await world.core.recognition.award(people[who], points, reason, f"s{source}")
        for fan in people:
            total = sum(await LedgerEntry.filter(fan_id=fan).values_list("amount", flat=True))
            assert (await Fan.get(id=fan)).tier == RULES.tier_for(total)


async def test_a_fan_who_rises_is_congratulated_unless_they_opted_out(world, db):
    announcer = MemoryAnnouncer()
    settings_ = load_settings(database_url=db, shout_outs=True)
    app = bootstrap(settings_, clock=world.clock, announcer=announcer)
    await Community.create(platform=Platform.TELEGRAM, platform_ref="-1", name="Fans")
    [ada, bo] = await fans(2)
    await Fan.filter(id=bo).update(named_in_shout_outs=False)
    for fan in (ada, bo):
        await app.core.recognition.award(fan, 60, "live_code", "code:1")
    await app.core.recognition.award(ada, -60, "undo:live_code", "code:1")  # falling: silent
    assert [s.fan_name for _, s in announcer.shout_outs] == ["Fan 0"]
    assert announcer.shout_outs[0][1].tier == "supporter"
