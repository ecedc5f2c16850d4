"""What fans do in the bot chat: open a drop, buy, pay in Stars, see their orders, consent."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from adapters import wording
from adapters.telegram import render
from adapters.telegram.delivery import HoldToPay, send_invoice
from adapters.telegram.stars import hold_named, stars_payment
from core import privacy
from core.app import Core
from core.drops.views import HoldView, drop_view, list_drops
from core.errors import DropcastError
from core.fans import fan_for, profile
from core.linking import ALPHABET
from core.models import Drop, Fan, OrderStatus, Platform
from core.money import STARS, Money

HELP = (
    "I sell the creator's drops.\n"
    "/drops - what is open and coming up\n"
    "/me - your orders\n"
    "/perks - fresh invites to your perk chats\n"
    "/link - join this account with your Discord one\n"
    "/checkin - I am listening to the live session\n"
    "/shoutouts on|off - may I congratulate you by name when you reach a tier?\n"
    "/stop - no more messages from me (/start to undo)\n"
    "/mydata - everything I hold about you, as a file\n"
    "/forgetme - erase you (I ask first)\n"
    "Tap a Buy button to hold a unit; you then have a few minutes to pay."
)
Context = ContextTypes.DEFAULT_TYPE
T = TypeVar("T")
LIVE_CODE = re.compile(rf"[{ALPHABET}]{{6}}")


def core_of(context: Context) -> Core:
    core: Core = context.application.bot_data["core"]
    return core


async def fan_of(update: Update) -> int:
    user = update.effective_user
    assert user is not None
    return await fan_for(Platform.TELEGRAM, str(user.id), user.full_name)


async def start(update: Update, context: Context) -> None:
    """`/start` (the fan opts in to messages) and deep links: `/start drop_<code>`."""
    fan_id = await fan_of(update)
    await core_of(context).consent.give(fan_id, Platform.TELEGRAM, "/start")
    payload = context.args[0] if context.args else ""
    if payload.startswith("drop_"):
        drop = await Drop.get_or_none(code=payload.removeprefix("drop_")[:16])
        if drop is None:
            await reply(update, "That drop does not exist (any more). /drops shows what is on.")
            return
        await show_drop(update, context, drop.id)
        return
    if payload.startswith("code_"):
        await claim_code(update, context, payload.removeprefix("code_"))
        return
    await reply(update, "Welcome! " + HELP)


async def claim_code(update: Update, context: Context, code: str) -> None:
    await answer(
        update,
        core_of(context).live.claim(code, await fan_of(update)),
        lambda points: f"Heard it! +{points} points. /me shows your total.",
    )


async def check_in(update: Update, context: Context) -> None:
    """`/checkin`: the fan is listening to the session on air."""
    await answer(
        update,
        core_of(context).live.check_in(await fan_of(update)),
        lambda session: f"Checked in to {session.title}. Listen for the live code!",
        refused="{}. I will announce the next one.",
    )


async def drops(update: Update, context: Context) -> None:
    showing = await list_drops(("scheduled", "open", "sold_out"))
    if not showing:
        await reply(update, "Nothing is on right now. I will announce the next drop.")
    core = core_of(context)
    held = await core.holds.held_tiers(await fan_of(update))
    for drop in showing:
        text, keyboard = render.drop_card(drop, core.clock.now(), held)
        await reply(update, text, keyboard)


async def show_drop(update: Update, context: Context, drop_id: int) -> None:
    core = core_of(context)
    held = await core.holds.held_tiers(await fan_of(update))
    text, keyboard = render.drop_card(await drop_view(drop_id), core.clock.now(), held)
    await reply(update, text, keyboard)


HELD = "Held for you!"


async def tapped(update: Update, context: Context) -> None:
    """Inline buttons: `buy:<tier>`, `wait:<tier>` on drops, `rsvp:<session>` and
    `checkin:<session>` on live posts. Data is checked, never trusted."""
    query = update.callback_query
    assert query is not None
    action, _, ref = (query.data or "").partition(":")
    if action not in ("buy", "wait", "rsvp", "checkin") or not ref.isdigit():
        await query.answer("That button is out of date. /drops shows what is on.")
        return
    core, fan_id = core_of(context), await fan_of(update)
    try:
        if action != "buy":
            await query.answer(await _answer(core, action, int(ref), fan_id))
            return
        hold = await core.holds.reserve(int(ref), fan_id)
    except DropcastError as refusal:  # sold out, over the limit, closed
        await query.answer(str(refusal)[:200], show_alert=True)
        return
    # answered at once; the offer's one message (the invoice waiting its turn in Telegram's
    # rate, or the pay link its turn in Stripe's) follows without holding up the taps
    # behind it (bench/rush.py)
    await query.answer(HELD)
    context.application.create_task(offer_payment(update, context, hold), update)


async def _answer(core: Core, action: str, ref: int, fan_id: int) -> str:
    if action == "wait":
        return f"You are number {await core.holds.join_waitlist(ref, fan_id)} on the waitlist."
    if action == "rsvp":
        session = await core.live.rsvp(ref, fan_id)
        return f"See you at {session.title}! I will remind you (/start me if you have not)."
    session = await core.live.check_in(fan_id)
    return f"Checked in to {session.title}. Listen for the live code!"


async def my_data(update: Update, context: Context) -> None:
    """`/mydata`: everything held about the fan, as a file, in their private chat."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        await reply(update, wording.PRIVATE_ONLY)
        return
    data = privacy.as_file(await privacy.export(await fan_of(update)))
    await context.bot.send_document(
        chat.id, data, filename=wording.MY_DATA_FILE, caption=wording.MY_DATA
    )


async def forget_me(update: Update, context: Context) -> None:
    """`/forgetme`: asks first; the button carries the fan id it was asked for."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        await reply(update, wording.PRIVATE_ONLY)
        return
    fan_id = await fan_of(update)
    await reply(update, wording.FORGET_ASK, render.forget_buttons(fan_id))


async def forget_answer(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    choice = (query.data or "").removeprefix("forget:")
    if not choice.isdigit():
        await query.answer()
        await query.edit_message_text(wording.KEPT)
        return
    user = update.effective_user
    assert user is not None
    done = await privacy.forget_account(
        Platform.TELEGRAM, str(user.id), int(choice), core_of(context).perks
    )
    await query.answer()
    await query.edit_message_text(wording.FORGOTTEN if done else wording.FORGET_NOT_YOURS)


async def opt_out(update: Update, context: Context) -> None:
    """The button on every campaign DM; pressed twice, it says so and changes nothing."""
    query = update.callback_query
    assert query is not None
    consent = core_of(context).consent
    said_no = await consent.withdraw(await fan_of(update), Platform.TELEGRAM, "the opt-out button")
    await query.answer(wording.OPTED_OUT if said_no else wording.ALREADY_OUT, show_alert=True)


async def offer_payment(update: Update, context: Context, hold: HoldView) -> None:
    """Two taps from paid: a Stars invoice in the chat, or our tracked Stripe link."""
    fan = update.effective_user
    assert fan is not None
    offer = await core_of(context).holds.offer(hold.id)
    until = f"{hold.expires_at:%H:%M} UTC ({wording.priced(hold.price, offer.pitch)})."
    until += wording.scarcity(offer.pitch)
    if hold.price.currency == STARS:  # one message: the invoice says how long it is held
        held = HoldToPay(hold.id, offer.title, offer.tier_name, hold.price)
        await send_invoice(
            context.bot, fan.id, held, f"{offer.tier_name} is held for you until {until}"
        )
        return
    try:
        link = await core_of(context).holds.pay_link(hold.id, hold.fan_id)
    except DropcastError as refusal:  # payments not set up: the hold was let go
        said = str(refusal)  # str.capitalize would lower a tier's own capitals
        await reply(update, f"{said[:1].upper()}{said[1:]}.")
        return
    await reply(
        update, f"{offer.tier_name} is held for you until {until}", render.pay_button(link.url)
    )


async def pre_checkout(update: Update, context: Context) -> None:
    """Telegram waits 10 s for this answer: re-check the hold and say yes or why not."""
    query = update.pre_checkout_query
    assert query is not None
    hold_id = hold_named(query.invoice_payload)
    if hold_id is None:
        await query.answer(ok=False, error_message="This invoice is not one of ours.")
        return
    fan_id = await fan_of(update)
    amount = Money(query.total_amount, query.currency)
    try:
        await core_of(context).holds.check_payable(hold_id, fan_id, amount)
    except DropcastError as refusal:
        await query.answer(ok=False, error_message=str(refusal)[:200])
        return
    await query.answer(ok=True)


async def paid(update: Update, context: Context) -> None:
    """Stars moved: exactly one order per `telegram_payment_charge_id`, however often seen
    and whether this update or the clock's reconcile (`stars.StarsLedger`) comes first. The
    receipt (and a digital tier's goods) comes from the core's notifier."""
    message = update.effective_message
    assert message is not None
    payment = message.successful_payment
    assert payment is not None
    amount = Money(payment.total_amount, payment.currency)
    received = stars_payment(payment.telegram_payment_charge_id, payment.invoice_payload, amount)
    await core_of(context).payments.settle(received)


async def refunded(update: Update, context: Context) -> None:
    """Telegram gave the Stars back (its support, a dispute, or our own refund reported
    back): the order is reversed once and what it granted taken back; nothing is said here,
    the core's notifier tells the fan."""
    message = update.effective_message
    assert message is not None
    refund = message.refunded_payment
    assert refund is not None
    await core_of(context).payments.reverse(refund.telegram_payment_charge_id, OrderStatus.REFUNDED)


async def me(update: Update, context: Context) -> None:
    await reply(update, wording.profile_text(await profile(await fan_of(update)))[:4000])


async def perks(update: Update, context: Context) -> None:
    """Fresh invites to the perk chats the fan's orders give them (old ones stop working)."""
    titles = await core_of(context).perks.reissue(await fan_of(update))
    if not titles:
        await reply(update, "You have no perks yet: some drops' tiers come with one.")


async def link(update: Update, context: Context) -> None:
    """`/link` gives a code to send from Discord; `/link CODE` redeems one made there."""
    core, fan_id = core_of(context), await fan_of(update)
    if not context.args:
        await reply(update, wording.link_code_text(await core.linking.issue(fan_id), "Discord"))
        return
    await answer(
        update,
        core.linking.redeem(context.args[0], fan_id),
        lambda _: wording.LINKED,
        refused="Not linked: {}.",
    )


async def shout_outs(update: Update, context: Context) -> None:
    """`/shoutouts off` keeps the fan's name out of public congratulations; `on` allows it."""
    wanted = (context.args or [""])[0].lower()
    if wanted not in ("on", "off"):
        await reply(update, "Say /shoutouts on or /shoutouts off.")
        return
    await Fan.filter(id=await fan_of(update)).update(named_in_shout_outs=wanted == "on")
    await reply(update, wording.shout_out_choice(wanted == "on"))


async def stop(update: Update, context: Context) -> None:
    await core_of(context).consent.withdraw(await fan_of(update), Platform.TELEGRAM, "/stop")
    await reply(update, "Done: I will only answer you from now on. /start to hear from me again.")


async def help_(update: Update, context: Context) -> None:
    await reply(update, HELP)


async def anything_else(update: Update, context: Context) -> None:
    """A live code heard on air, or else free text, unknown commands, a wall of text: a
    pointer, never a silence."""
    text = (update.effective_message.text or "").strip() if update.effective_message else ""
    if LIVE_CODE.fullmatch(text.upper()):
        await claim_code(update, context, text)
        return
    await reply(update, "I did not understand that. " + HELP)


async def answer(
    update: Update, action: Awaitable[T], done: Callable[[T], str], refused: str = "{}."
) -> None:
    """Run a core call for the user and reply with what it did, or with why it refused."""
    await reply(update, await wording.outcome(action, done, refused))


async def reply(update: Update, text: str, keyboard: Any = None) -> None:
    message = update.effective_message
    assert message is not None
    await message.reply_text(text, reply_markup=keyboard)
