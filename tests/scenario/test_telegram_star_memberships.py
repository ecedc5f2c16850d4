"""Memberships paid in Telegram Stars, as a fan meets them in the bot chat: `/join`, the
subscription Telegram renews every 30 days by itself, `/membership` cancelling and
re-enabling it at Telegram, a renewal whose update was lost, a forgotten fan's renewal.
The real python-telegram-bot application against the Telegram peer, with the test's clock
as Telegram's calendar."""

from __future__ import annotations

from datetime import timedelta

from bots.clock_process import clock_jobs
from core import privacy
from core.memberships.members import MembershipView, membership_view
from core.memberships.plans import PlanSpec
from core.memberships.star_charges import CHARGED_WHILE_ENDED, StarsReconciled
from core.models import Membership
from core.money import Money
from tests.eventually import eventually
from tests.peers.telegram_bot_api import Invoice, Sent
from tests.scenario.telegram_chat import FAN, OTHER, Bot

DAYS_30 = timedelta(days=30)


async def club(bot: Bot, stars: int | None = 250) -> int:
    spec = PlanSpec("Backstage club", Money(500, "EUR"), stars=stars, early_access_minutes=30)
    return (await bot.app.core.plans.create(spec)).id


async def joined(bot: Bot, user_id: int = FAN) -> tuple[str, MembershipView]:
    """/join, pay the Stars link: the first charge's id and the membership it made."""
    offer = await bot.says(user_id, "/join")
    url = offer.button("\u2b50")["url"]
    charge = await bot.peer.user_subscribes(user_id, url)
    assert charge is not None
    await bot.peer.wait_for(lambda: _said(bot, user_id, "Welcome in"))
    return charge, await member(charge)


async def member(ref: str) -> MembershipView:
    row = await eventually(lambda: Membership.get_or_none(subscription_ref=ref))
    return await membership_view(row.id)


async def tap(bot: Bot, message: Sent, button: str) -> None:
    """Tap a button that edits its message, and wait for the edit."""
    edits = message.edits
    assert await bot.taps(FAN, message, message.button(button)["callback_data"]) == ""
    await bot.peer.wait_for(lambda: message.edits > edits)


def _said(bot: Bot, user_id: int, start: str) -> list[Sent]:
    return [m for m in bot.peer.to(user_id) if m.text.startswith(start)]


async def test_a_fan_joins_with_stars_renews_cancels_and_keeps_access_to_the_period_end(bot):
    await club(bot)
    offer = await bot.says(FAN, "/join")
    assert offer.text.startswith("Backstage club")
    assert "Early access to drops: 30 minutes" in offer.text
    assert offer.button("\u2b50")["text"] == "Pay 250 \u2b50 / 30 days"
    assert offer.button("Pay by card")["callback_data"].startswith("joincard:")
    [link] = bot.peer.invoice_links.values()
    assert (link.amount, link.subscription_period) == (250, 2_592_000)

    charge, first = await joined(bot)
    start = bot.clock.now()
    assert (first.provider, first.state) == ("telegram_stars", "active")
    assert first.current_period_end == start + DAYS_30
    assert first.grants_access(start + DAYS_30 + timedelta(days=2))  # the grace after it

    # Telegram shows the first payment again: nothing changes, no second welcome
    expires = int((start + DAYS_30).timestamp())
    again = bot.peer.payment_message(
        FAN, _invoice(bot, charge), charge, subscription_expiration_date=expires,
        is_recurring=True, is_first_recurring=True,
    )  # fmt: skip
    await bot.peer.deliver({"message": again})
    await bot.says(FAN, "/help")  # the update before it has been handled
    assert await member(charge) == first
    assert len(_said(bot, FAN, "Welcome in")) == 1

    bot.clock.advance(days=30)
    [renewal] = await bot.peer.renew_due()
    renewed = await eventually(
        lambda: _moved_to(charge, start + 2 * DAYS_30), what="the renewal recorded"
    )
    assert (renewed.subscription_ref, renewed.state) == (charge, "active")
    assert renewal != charge

    shown = await bot.says(FAN, "/membership")
    assert shown.text.startswith("Backstage club: active, renews on")
    await tap(bot, shown, "Cancel")
    assert bot.peer.subscriptions[charge].canceled  # Telegram really stops charging
    assert shown.text.startswith("Cancelled at period end")
    cancelling = await member(charge)
    assert cancelling.state == "cancelled_at_period_end"
    assert cancelling.access_until == start + 2 * DAYS_30  # no grace: nothing renews
    listed = await bot.says(FAN, "/membership")
    assert listed.text.startswith("Backstage club: cancelled at period end, access until")

    bot.clock.advance(days=30)
    assert await bot.peer.renew_due() == []
    assert await bot.app.core.stars_memberships.end_lapsed() == 1
    ended = await member(charge)
    assert (ended.state, ended.grants_access(bot.clock.now())) == ("ended", False)
    assert (await bot.says(FAN, "/membership")).text.startswith("You are not a member")


async def test_only_the_member_cancels_their_stars_membership(bot):
    await club(bot)
    charge, _ = await joined(bot)
    shown = await bot.says(FAN, "/membership")
    refused = await bot.taps(OTHER, shown, shown.button("Cancel")["callback_data"])
    assert refused == "that is not one of your Stars memberships"
    assert not bot.peer.subscriptions[charge].canceled
    assert (await member(charge)).state == "active"


async def test_a_cancelled_stars_membership_re_enabled_renews_again(bot):
    await club(bot)
    charge, _ = await joined(bot)
    shown = await bot.says(FAN, "/membership")
    await tap(bot, shown, "Cancel")
    await tap(bot, shown, "Re-enable")
    assert not bot.peer.subscriptions[charge].canceled
    assert shown.text.startswith("Re-enabled: your membership renews on")
    assert (await member(charge)).state == "active"
    bot.clock.advance(days=30)
    assert len(await bot.peer.renew_due()) == 1
    start = bot.clock.now() - DAYS_30
    await eventually(lambda: _moved_to(charge, start + 2 * DAYS_30))


async def test_no_renewal_ends_the_membership_after_the_grace(bot):
    await club(bot)
    charge, _ = await joined(bot)
    bot.peer.subscriptions[charge].canceled = True  # the fan ran out of Stars, say
    bot.clock.advance(days=31)
    assert await bot.app.core.stars_memberships.end_lapsed() == 0  # still in the grace
    assert (await member(charge)).grants_access(bot.clock.now())
    bot.clock.advance(days=2)
    assert await bot.app.core.stars_memberships.end_lapsed() == 1
    assert (await member(charge)).state == "ended"


async def test_a_renewal_whose_update_was_lost_is_recorded_by_the_reconcile(bot):
    await club(bot)
    charge, first = await joined(bot)
    bot.clock.advance(days=30)
    assert len(await bot.peer.renew_due(update_lost=True)) == 1
    # the clock's job, which `dropcast clock` runs every 10 minutes
    jobs = clock_jobs(bot.app.core, telegram=bot.app.telegram)
    [job] = [job for job, _ in jobs if job.__qualname__ == "StarsMemberships.reconcile"]
    done = await job()
    assert isinstance(done, StarsReconciled)
    assert (done.read, done.healed, done.refunded, done.findings) == (2, 1, 0, ())
    assert (await member(charge)).current_period_end == first.current_period_end + DAYS_30
    assert (await bot.app.core.stars_memberships.reconcile()).healed == 0  # once


async def test_a_first_payment_whose_update_was_lost_makes_the_membership(bot):
    plan_id = await club(bot)
    offer = await bot.says(FAN, "/join")
    charge = await bot.peer.user_subscribes(FAN, offer.button("\u2b50")["url"], update_lost=True)
    assert charge is not None
    assert (await bot.app.core.stars_memberships.reconcile()).healed == 1
    made = await member(charge)
    assert (made.plan_id, made.state) == (plan_id, "active")


async def test_telegram_charging_a_membership_dropcast_ended_is_a_finding(bot):
    await club(bot)
    charge, first = await joined(bot)
    await Membership.filter(subscription_ref=charge).update(state="ended", live=None)
    done = await bot.app.core.stars_memberships.reconcile()
    [finding] = done.findings
    assert (finding.kind, finding.fan_id) == (CHARGED_WHILE_ENDED, first.fan_id)
    assert charge in finding.detail
    report = await bot.app.core.access.report()  # the creator's daily report says so too
    assert [(m.kind, m.fan_id) for m in report.mismatches] == [(CHARGED_WHILE_ENDED, first.fan_id)]


async def test_a_forgotten_fans_renewal_is_refunded_and_the_subscription_cancelled(bot):
    await club(bot)
    charge, first = await joined(bot)
    await privacy.forget(first.fan_id, bot.app.core.perks)
    bot.clock.advance(days=30)
    [renewal] = await bot.peer.renew_due()
    await bot.peer.wait_for(lambda: (FAN, renewal) in bot.peer.refunds)  # the last step
    assert bot.peer.subscriptions[charge].canceled
    ended = await eventually(lambda: _in_state(charge, "ended"))
    assert ended.current_period_end == first.current_period_end  # the renewal not kept
    assert ended.cancel_reason == "forgotten"
    done = await bot.app.core.stars_memberships.reconcile()  # refunded: nothing to do
    assert (done.healed, done.refunded, done.findings) == (0, 0, ())


async def test_checkout_refuses_an_archived_plan_a_member_and_someone_elses_link(bot):
    plan_id = await club(bot)
    offer = await bot.says(FAN, "/join")
    url = offer.button("\u2b50")["url"]
    assert await bot.peer.user_subscribes(OTHER, url) is None  # FAN's link
    assert "made for someone else" in _last_refusal(bot)
    await joined(bot)
    assert await bot.peer.user_subscribes(FAN, url) is None
    assert "already a member of 'Backstage club'" in _last_refusal(bot)
    other = await bot.says(OTHER, "/join")
    await bot.app.core.plans.archive(plan_id)
    assert await bot.peer.user_subscribes(OTHER, other.button("\u2b50")["url"]) is None
    assert "no longer offered" in _last_refusal(bot)
    assert len(bot.peer.subscriptions) == 1


async def test_join_deep_link_card_without_stripe_and_a_plan_without_stars(bot):
    plan_id = await club(bot, stars=None)
    offer = await bot.says(FAN, f"/start join_{plan_id}")
    assert [b["text"] for b in offer.buttons()] == ["Pay by card"]
    await bot.taps(FAN, offer, offer.button("Pay by card")["callback_data"])
    said = await bot.peer.wait_for(lambda: _said(bot, FAN, "Paying by card is not set up"))
    assert "STRIPE_SECRET_KEY is not set" in said[0].text
    assert (await bot.says(FAN, "/start join_x")).text.startswith("That link is broken")


def _last_refusal(bot: Bot) -> str:
    return str(list(bot.peer.checkout_answers.values())[-1]["error_message"])


def _invoice(bot: Bot, charge: str) -> Invoice:
    link = bot.peer.subscriptions[charge].link
    return Invoice(FAN, 0, link.title, link.payload, "XTR", link.amount)


async def _moved_to(ref: str, end: object) -> MembershipView | None:
    view = await member(ref)
    return view if view.current_period_end == end else None


async def _in_state(ref: str, state: str) -> MembershipView | None:
    view = await member(ref)
    return view if view.state == state else None
