"""What members get in drops, through the real clients against the peers: their member price
in Stars invoices and Stripe Checkout sessions and the orders they make, struck against the
public price in their own views (Telegram HTML, Discord markdown), the public posts saying
what members get, and member-only tiers refused to others, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import stripe

from adapters import wording
from bots.bootstrap import bootstrap
from core.drops.views import list_drops
from core.fans import fan_for
from core.kinds import Platform
from core.models import Community, Drop, Order, Reservation
from core.money import parse_price
from tests.builders import fans, handled, make_member, open_drop, tier
from tests.integration.test_stripe_checkout import WEBHOOK_SECRET, stripe_settings
from tests.scenario.discord_guild import CREATOR, option
from tests.scenario.discord_guild import FAN as DISCORD_FAN
from tests.scenario.telegram_chat import ADMIN, FAN, OTHER
from tests.scenario.test_discord import OPENS, OTHER_FAN, announced, modal_fields
from tests.scenario.web_client import Post, exchange

CHANNEL = -100500


def stars_tiers():
    return (
        tier("Wallpapers", kind="digital", price="150 XTR", stock=5, member_price="120 XTR"),
        tier("Club pack", kind="digital", price="100 XTR", stock=5, members_only=True),
        tier("Print", price="9.00 EUR", stock=5, member_price="7.00 EUR"),
    )


async def test_a_telegram_member_sees_and_pays_their_price_and_others_the_public_one(bot):
    bot.peer.chats[CHANNEL] = "channel"
    await Community.create(platform=Platform.TELEGRAM, platform_ref=str(CHANNEL), name="Fans")
    drop = await open_drop(bot.app.core, *stars_tiers())
    member = await fan_for(Platform.TELEGRAM, str(FAN), "Fan")
    await make_member(bot.app.core, member)
    code = (await bot.app.core.drops.announce(drop.id)).code

    [post] = await bot.peer.wait_for(lambda: bot.peer.to(CHANNEL))  # public: what members get
    assert "Wallpapers: 150 XTR, members: 120 XTR (5 left)" in post.text
    assert "Club pack: 100 XTR, members only (5 left)" in post.text

    card = await bot.says(FAN, f"/start drop_{code}")
    assert "Wallpapers: 150 XTR 120 XTR, your member price (5 left)" in card.text
    assert card.struck == ("150 XTR", "9.00 EUR")
    others = await bot.says(OTHER, f"/start drop_{code}")
    assert "Wallpapers: 150 XTR, members: 120 XTR (5 left)" in others.text
    assert others.struck == ()

    refused = await bot.taps(OTHER, others, others.button("Buy Club pack")["callback_data"])
    assert refused == "Club pack is for members only: become a member with /join"
    assert not await Reservation.exists(tier_id=drop.tiers[1].id)

    invoice = await bot.buys(FAN, card, "Buy Wallpapers")
    assert (invoice.currency, invoice.amount) == ("XTR", 120)
    # an invoice is plain text: the public price struck in combining strokes
    assert f"({wording.struck('150 XTR')} 120 XTR, your member price)" in invoice.description
    assert await bot.peer.user_pays(FAN, invoice)
    await bot.peer.wait_for(lambda: [m for m in bot.peer.to(FAN) if m.text.startswith("Paid:")])
    [order] = await Order.all()
    assert (order.fan_id, order.amount_minor, order.currency) == (member, 120, "XTR")
    public = await bot.buys(OTHER, others, "Buy Wallpapers")
    assert public.amount == 150

    before = len(bot.peer.to(FAN))
    await bot.taps(FAN, card, card.button("Buy Print")["callback_data"])
    [held] = await bot.peer.wait_for(lambda: bot.peer.to(FAN)[before:])
    assert "Print is held for you until" in held.text
    assert "(9.00 EUR 7.00 EUR, your member price)" in held.text
    assert held.struck == ("9.00 EUR",)


async def test_a_discord_member_sees_their_price_struck_and_others_are_told_to_join(guild):
    _, post = await announced(
        guild,
        tier(stock=2, price="9.00 EUR", member_price="7.00 EUR"),
        tier("Club print", stock=2, members_only=True),
    )
    assert "Signed print: 9.00 EUR, members: 7.00 EUR · 2 left" in post.embeds_text()
    assert "Club print: 25.00 EUR, members only · 2 left" in post.embeds_text()
    member = await fan_for(Platform.DISCORD, DISCORD_FAN, "Fan")
    await make_member(guild.app.core, member)

    mine = await guild.command(DISCORD_FAN, "drops")
    assert "Signed print: ~~9.00 EUR~~ 7.00 EUR, your member price · 2 left" in mine.embeds_text()
    theirs = await guild.command(OTHER_FAN, "drops")
    assert "Signed print: 9.00 EUR, members: 7.00 EUR · 2 left" in theirs.embeds_text()

    refused = await guild.press(OTHER_FAN, post, "Buy Club print")
    assert refused.text() == "Club print is for members only: become a member with /join."
    [choice] = await guild.peer.autocomplete(DISCORD_FAN, "buy", "item", "signed")
    struck = wording.struck("9.00 EUR")  # a choice is plain text
    assert (
        choice["name"]
        == f"Winter drop: Signed print ({struck} 7.00 EUR, your member price, 2 left)"
    )
    held = await guild.command(DISCORD_FAN, "buy", option("item", choice["value"]))
    assert "(~~9.00 EUR~~ 7.00 EUR, your member price)" in held.text()
    [public] = await guild.peer.autocomplete(OTHER_FAN, "buy", "item", "signed")
    assert public["name"] == "Winter drop: Signed print (9.00 EUR, members: 7.00 EUR, 1 left)"


async def test_a_member_pays_their_price_through_stripe_checkout(world, stripe_peer):
    checkout, api_base = stripe_peer
    settings = stripe_settings(world, api_base)
    app = bootstrap(settings, clock=world.clock, messenger=world.messenger)
    core = app.core
    drop = await open_drop(core, tier(price="9.00 EUR", member_price="7.00 EUR", kind="digital"))
    member, other = await fans(2)
    await make_member(core, member)
    for fan in (member, other):
        hold = await core.holds.reserve(drop.tiers[0].id, fan)
        await core.holds.pay_link(hold.id, fan)
    asked = {s["metadata"]["fan_id"]: s["amount_total"] for s in checkout.sessions.values()}
    assert asked == {str(member): 700, str(other): 900}

    [session_id] = [k for k, s in checkout.sessions.items() if s["amount_total"] == 700]
    body = json.dumps(await checkout.complete(session_id))
    header = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
    post = Post("/webhooks/stripe", body.encode(), {"Stripe-Signature": header})
    [(status, _)] = await exchange(settings, [post], clock=world.clock, messenger=world.messenger)
    assert (status, await handled()) == (200, ["order 1 paid"])
    [order] = await Order.all()
    assert (order.fan_id, order.amount_minor, order.currency, order.status) == (
        member, 700, "EUR", "paid",
    )  # fmt: skip
    await app.close()


MEMBER_TIERS = (
    "name=Zine, price=12.00 EUR, member_price=10.00 EUR, stock=5, content=https://z.example"
)


async def test_a_creator_makes_a_members_only_drop_in_discord(guild):
    opened = await guild.peer.run_command(
        CREATOR, "drop create", [option("members_only", True, 5)], admin=True
    )
    modal, inputs = await modal_fields(guild, opened)
    values = {inputs["Title"]: "Club zine", inputs[OPENS]: "now",
              inputs["Tiers, one per line"]: MEMBER_TIERS}  # fmt: skip
    submitted = await guild.peer.submit_modal(CREATOR, modal, values, admin=True)
    assert "Drop #1 is open" in (await guild.peer.reply_to(submitted)).text()
    [drop] = await list_drops()
    assert drop.members_only
    assert (drop.tiers[0].price, drop.tiers[0].member_price) == (
        parse_price("12.00 EUR"), parse_price("10.00 EUR"),
    )  # fmt: skip


async def test_a_creator_makes_a_members_only_drop_in_telegram(bot):
    assert "members-only drop" in (await bot.says(ADMIN, "/newdrop members")).text
    await bot.says(ADMIN, "Club zine")
    await bot.says(ADMIN, MEMBER_TIERS)
    summary = await bot.says(ADMIN, "now")
    assert "Club zine, opening now, for members only:" in summary.text
    await bot.taps(ADMIN, summary, "newdrop:yes")
    await bot.peer.wait_for(lambda: [m for m in bot.peer.to(ADMIN) if "/announce" in m.text])
    [drop] = await Drop.all()
    assert drop.members_only
    assert "Say /newdrop, or /newdrop members" in (await bot.says(ADMIN, "/newdrop club")).text


async def test_a_telegram_member_buys_from_the_card_in_their_early_access(bot):
    bot.peer.chats[CHANNEL] = "channel"
    await Community.create(platform=Platform.TELEGRAM, platform_ref=str(CHANNEL), name="Fans")
    core = bot.app.core
    drop = await core.drops.create("Winter drop", [tier(price="9.00 EUR", member_price="7.00 EUR")])
    await core.drops.schedule(drop.id, bot.clock.now() + timedelta(hours=1))
    await make_member(core, await fan_for(Platform.TELEGRAM, str(FAN), "Fan"), early=30)
    code = (await core.drops.announce(drop.id)).code
    [post] = await bot.peer.wait_for(lambda: bot.peer.to(CHANNEL))
    assert "Members' early access: 30 min before the opening" in post.text
    assert not (await bot.says(FAN, f"/start drop_{code}")).buttons()  # not yet: 60 min
    bot.clock.advance(minutes=35)
    card = await bot.says(FAN, f"/start drop_{code}")
    assert await bot.taps(FAN, card, card.button("Buy Signed print")["callback_data"]) == (
        "Held for you!"
    )
    others = await bot.says(OTHER, f"/start drop_{code}")
    assert not others.buttons()
    assert await Reservation.all().count() == 1
