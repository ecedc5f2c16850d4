"""A fan's data handed over whole, and erased: checked in the database, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json

import pytest

from core.drops.order_rows import PaymentReceived
from core.errors import NotFound
from core.fans import fan_for
from core.kinds import Platform
from core.models import Fan, Order
from core.privacy import export, forget
from tests.builders import open_drop, tier


async def test_export_hands_over_everything_and_forget_leaves_nothing_personal(world):
    await world.core.perks.register("club", "Club", Platform.SANDBOX, "place", "role")
    drop = await open_drop(world.core, tier(stock=5, perk="club"))
    fan = await fan_for(Platform.TELEGRAM, "424242", "Ada Lovelace")
    await world.core.consent.give(fan, Platform.TELEGRAM, "/start")
    await Fan.filter(id=fan).update(email="ada@example.com")
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    address = {"name": "Ada Lovelace", "line1": "12 St James's Square"}
    paid = PaymentReceived("pi_ada", "x", hold.id, hold.price, shipping_address=address)
    order = await world.core.payments.settle(paid)
    assert world.perks.granted  # the perk went to her

    everything = await export(fan)
    assert everything["fan"]["name"] == "Ada Lovelace"
    assert everything["accounts"][0]["platform_user_id"] == "424242"
    assert everything["orders"][0]["shipping_address"] == address
    assert everything["consent"][0]["how"] == "/start"

    await forget(fan, world.core.perks)
    await forget(fan, world.core.perks)  # twice: nothing more to do, no error
    assert not world.perks.granted  # taken back first
    left = await export(fan)
    text = json.dumps(left)
    for personal in ("Ada", "Lovelace", "424242", "ada@example.com", "St James"):
        assert personal not in text
    assert left["accounts"] == left["consent"] == []
    kept = await Order.get(id=order.id)  # the books still add up
    assert (kept.amount_minor, kept.currency, kept.status) == (2500, "EUR", "paid")
    with pytest.raises(NotFound):
        await export(9999)


async def test_buying_is_a_yes_from_a_fan_who_never_answered_and_never_over_a_no(world):
    drop = await open_drop(world.core, tier(stock=5, limit=2))
    quiet = await fan_for(Platform.DISCORD, "111", "Quiet")
    declined = await fan_for(Platform.TELEGRAM, "222", "Declined")
    await world.core.consent.give(declined, Platform.TELEGRAM, "/start")
    await world.core.consent.withdraw(declined, Platform.TELEGRAM, "/stop")
    for fan in (quiet, declined, quiet):
        hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
        await world.core.payments.settle(PaymentReceived(f"pi_{hold.id}", "x", hold.id, hold.price))

    [yes] = await world.core.consent.history(quiet)  # bought twice, recorded once
    assert (yes.given, yes.platform, yes.how) == (True, "discord", "bought")
    assert (await Fan.get(id=quiet)).dm_opt_in
    assert [view.how for view in await world.core.consent.history(declined)] == ["/start", "/stop"]
    assert not (await Fan.get(id=declined)).dm_opt_in
