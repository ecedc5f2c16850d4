"""Buying a physical tier of a drop with pop-ups, on both bots: Buy asks "Ship to me" or a
pop-up first, the pay link asks no address for a pickup, and the receipt DM gives the place,
window and pass link, which `/me` then shows with its state."""

from __future__ import annotations

from datetime import timedelta

from core.drops.order_rows import PaymentReceived
from core.kinds import HoldStatus, Platform
from core.models import Community, PickupPass, Reservation
from core.money import Money
from core.popups.places import PopUpView, window
from tests.builders import open_drop, tier
from tests.peers.discord_api import DROPS_CHANNEL, GUILD_ID
from tests.scenario.discord_guild import FAN as DISCORD_FAN
from tests.scenario.discord_guild import Guild, pay
from tests.scenario.telegram_chat import FAN, Bot

PLACE = "Hall 4, Lyon"
PASS_LINK = "http://localhost:8080/p/"


async def with_pop_up(core, *, stock: int = 3) -> tuple[int, PopUpView]:
    """An open drop of a physical tier, and a pop-up of it from in an hour, for four."""
    drop = await open_drop(core, tier("Signed print", stock=stock))
    starts = core.clock.now() + timedelta(hours=1)
    return drop.tiers[0].id, await core.pop_ups.create(
        drop.id, PLACE, starts, starts + timedelta(hours=4)
    )


def choice_label(pop_up: PopUpView) -> str:
    return f"Pick up at {PLACE}, {window(pop_up.starts_at, pop_up.ends_at, pop_up.zone)}"


async def telegram_paid(bot: Bot) -> None:
    """What Stripe's webhook does once the fan paid their hold (see test_stripe_webhooks)."""
    hold = await Reservation.get(status=HoldStatus.HELD)
    await bot.app.core.payments.settle(
        PaymentReceived(f"pi_{hold.id}", "stripe", hold.id, Money(2500, "EUR"))
    )


async def test_a_telegram_fan_chooses_a_pop_up_and_gets_the_pass_in_the_receipt(bot):
    tier_id, pop_up = await with_pop_up(bot.app.core)
    card = await bot.says(FAN, "/drops")
    before = len(bot.peer.to(FAN))
    await bot.taps(FAN, card, card.button("Buy")["callback_data"])
    asked = await bot.peer.wait_for(lambda: bot.peer.to(FAN)[before:])
    assert asked[0].text.startswith("How do you want to get it?")
    assert await Reservation.all().count() == 0  # nothing held before the choice
    pick = asked[0].button(choice_label(pop_up))["callback_data"]
    assert asked[0].button("Ship to me")["callback_data"] == f"pick:{tier_id}:0"
    assert await bot.taps(FAN, asked[0], pick) == "Held for you!"
    await bot.peer.wait_for(lambda: [m for m in bot.peer.to(FAN) if "held for you" in m.text])
    [asked_to_pay] = bot.app.pay_links.created.values()  # type: ignore[attr-defined]
    assert (
        asked_to_pay.pickup
        == f"Pickup at {PLACE}, {window(pop_up.starts_at, pop_up.ends_at, pop_up.zone)}"
    )
    await telegram_paid(bot)
    [receipt] = await bot.peer.wait_for(
        lambda: [m for m in bot.peer.to(FAN) if m.text.startswith("Paid:")]
    )
    [made] = await PickupPass.all()
    link = await bot.app.core.pass_codes.link(made.id, pop_up.id)
    assert link.startswith(PASS_LINK)
    assert (
        f"Pick it up at {PLACE}, {window(pop_up.starts_at, pop_up.ends_at, pop_up.zone)}."
        in receipt.text
    )
    assert f"Show this pass there: {link}" in receipt.text
    me = await bot.says(FAN, "/me")
    assert (
        f"pickup at {PLACE}, {window(pop_up.starts_at, pop_up.ends_at, pop_up.zone)}: waiting"
        in me.text
    )
    assert f"your pass: {link}" in me.text


async def test_a_telegram_fan_who_chooses_shipping_gets_a_plain_receipt(bot):
    tier_id, _ = await with_pop_up(bot.app.core)
    card = await bot.says(FAN, "/drops")
    before = len(bot.peer.to(FAN))
    await bot.taps(FAN, card, card.button("Buy")["callback_data"])
    asked = await bot.peer.wait_for(lambda: bot.peer.to(FAN)[before:])
    assert await bot.taps(FAN, asked[0], f"pick:{tier_id}:0") == "Held for you!"
    await bot.peer.wait_for(lambda: [m for m in bot.peer.to(FAN) if "held for you" in m.text])
    await telegram_paid(bot)
    [receipt] = await bot.peer.wait_for(
        lambda: [m for m in bot.peer.to(FAN) if m.text.startswith("Paid:")]
    )
    assert "Pick it up" not in receipt.text
    assert await PickupPass.all().count() == 0


async def test_a_telegram_choice_that_no_longer_stands_is_refused_and_holds_nothing(bot):
    tier_id, pop_up = await with_pop_up(bot.app.core)
    card = await bot.says(FAN, "/drops")
    before = len(bot.peer.to(FAN))
    await bot.taps(FAN, card, card.button("Buy")["callback_data"])
    asked = await bot.peer.wait_for(lambda: bot.peer.to(FAN)[before:])
    bot.clock.advance(hours=6)  # the window ended while the question waited
    refused = await bot.taps(FAN, asked[0], f"pick:{tier_id}:{pop_up.id}")
    assert refused == f"the pop-up at {PLACE} has ended; choose another or shipping"
    assert await bot.taps(FAN, asked[0], "pick:1:x") == (
        "That button is out of date. /drops shows what is on."
    )
    assert await Reservation.all().count() == 0


async def announced_with_pop_up(guild: Guild):
    await Community.get_or_create(
        platform=Platform.DISCORD, platform_ref=GUILD_ID,
        defaults={"name": "Fan Club", "announce_channel_ref": DROPS_CHANNEL},
    )  # fmt: skip
    tier_id, pop_up = await with_pop_up(guild.app.core)
    [drop_id] = {p.drop_id for p in [pop_up]}
    await guild.app.core.drops.announce(drop_id)
    return tier_id, pop_up, guild.peer.in_channel(DROPS_CHANNEL)[-1]


async def test_a_discord_fan_chooses_a_pop_up_and_gets_the_pass_by_dm(guild):
    _, pop_up, post = await announced_with_pop_up(guild)
    asked = await guild.press(DISCORD_FAN, post, "Buy Signed print")
    assert asked.ephemeral
    assert asked.text().startswith("How do you want to get it?")
    assert await Reservation.all().count() == 0
    held = await guild.press(DISCORD_FAN, asked, choice_label(pop_up))
    assert "Held for you until" in held.text()
    assert held.button("Pay now")["url"].startswith("http://localhost:8080/l/")
    assert (await Reservation.get()).pop_up_id == pop_up.id
    await pay(guild.app.core, DISCORD_FAN)
    [receipt] = await guild.peer.wait_for(lambda: guild.peer.dms_to(DISCORD_FAN))
    [made] = await PickupPass.all()
    link = await guild.app.core.pass_codes.link(made.id, pop_up.id)
    assert (
        f"Pick it up at {PLACE}, {window(pop_up.starts_at, pop_up.ends_at, pop_up.zone)}."
        in receipt.text()
    )
    assert f"Show this pass there: {link}" in receipt.text()
    me = await guild.command(DISCORD_FAN, "me")
    assert (
        f"pickup at {PLACE}, {window(pop_up.starts_at, pop_up.ends_at, pop_up.zone)}: waiting"
        in me.text()
    )
    assert f"your pass: {link}" in me.text()


async def test_a_discord_fan_who_chooses_shipping_holds_without_a_pop_up(guild):
    _, _, post = await announced_with_pop_up(guild)
    asked = await guild.press(DISCORD_FAN, post, "Buy Signed print")
    held = await guild.press(DISCORD_FAN, asked, "Ship to me")
    assert "Held for you until" in held.text()
    assert (await Reservation.get()).pop_up_id is None
