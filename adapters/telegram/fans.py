"""What fans do in the bot chat: open a drop, buy, pay in Stars, see their orders, consent."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from adapters import pickup_words, wording
from adapters.telegram import claims, render, tokens
from adapters.telegram.delivery import send_invoice
from adapters.telegram.stars import hold_named, stars_payment
from core import privacy
from core.account_linking import ALPHABET
from core.app import Core
from core.drops.views import FanDrops, HoldView
from core.errors import DropcastError
from core.fans import FanRef, choose_shout_outs, profile_of
from core.kinds import OrderStatus, Platform
from core.money import Money

HELP = (
    "I sell the creator's drops.\n"
    "/drops - what is open and coming up\n"
    "/me - your orders and perk tokens\n"
    "/redeem CODE - redeem a perk token; /gift CODE - a link that gives it to a friend\n"
    "/perks - fresh invites to your perk chats\n"
    "/join - become a member (Stars or card)\n"
    "/membership - your membership: state, cancel, re-enable\n"
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


def who(update: Update) -> FanRef:
    """The user, as the core finds their fan."""
    user = update.effective_user
    assert user is not None
    return FanRef(Platform.TELEGRAM, str(user.id), user.full_name)


async def start(update: Update, context: Context) -> None:
    """`/start` (the fan opts in to messages) and deep links, which opt in too:
    `/start drop_<code>` shows a drop, `/start code_<code>` claims a live code,
    `/start claim_<code>` a membership moved in from another tool (adapters/telegram/claims.py),
    `/start gift_<code>` a perk token's gift link (adapters/telegram/tokens.py)."""
    core, payload = core_of(context), context.args[0] if context.args else ""
    if payload.startswith("drop_"):
        code = payload.removeprefix("drop_")[:16]
        shown = await core.holds.open_drop(code, who(update), opting_in="/start")
        if not shown.drops:
            await reply(update, "That drop does not exist (any more). /drops shows what is on.")
            return
        await show_drops(update, context, shown)
        return
    if payload.startswith("code_"):
        await claim_code(update, context, payload.removeprefix("code_"), opting_in="/start")
        return
    if payload.startswith(tokens.START):
        await tokens.accept(update, context, payload.removeprefix(tokens.START))
        return
    if payload.startswith(claims.START):
        claiming = core.claiming.claim_as(
            payload.removeprefix(claims.START), who(update), opting_in="/start"
        )
        await answer(update, claiming, wording.claimed_text, refused="Not claimed: {}.")
        return
    await core.consent.choose(who(update), True, "/start")
    await reply(update, "Welcome! " + HELP)


async def claim_code(
    update: Update, context: Context, code: str, opting_in: str | None = None
) -> None:
    await answer(
        update,
        core_of(context).attendance.claim_as(code, who(update), opting_in=opting_in),
        lambda points: f"Heard it! +{points} points. /me shows your total.",
    )


async def check_in(update: Update, context: Context) -> None:
    """`/checkin`: the fan is listening to the session on air."""
    await answer(
        update,
        core_of(context).attendance.check_in_as(who(update)),
        lambda session: f"Checked in to {session.title}. Listen for the live code!",
        refused="{}. I will announce the next one.",
    )


async def drops(update: Update, context: Context) -> None:
    shown = await core_of(context).holds.drops_for(who(update), ("scheduled", "open", "sold_out"))
    if not shown.drops:
        await reply(update, "Nothing is on right now. I will announce the next drop.")
    await show_drops(update, context, shown)


async def show_drops(update: Update, context: Context, shown: FanDrops) -> None:
    now = core_of(context).clock.now()
    for drop in shown.drops:
        text, keyboard = render.drop_card(drop, now, shown.held, shown.member_minutes)
        await reply(update, text, keyboard, as_html=True)


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
    core, fan = core_of(context), who(update)
    try:
        if action != "buy":
            await query.answer(await _answer(core, action, int(ref), fan))
            return
        if choices := await core.pop_ups.choices(int(ref)):  # ship, or pick up: asked first
            await query.answer()
            await reply(
                update, pickup_words.question(choices), render.pickup_buttons(int(ref), choices)
            )
            return
        hold = await core.holds.buy(int(ref), fan)
    except DropcastError as refusal:  # sold out, over the limit, closed
        await query.answer(str(refusal)[:200], show_alert=True)
        return
    # answered at once with the hold, the tap's one core call; the offer is the same
    # action's second step, in the background: its one message (the invoice waiting its
    # turn in Telegram's rate, or the pay link its turn in Stripe's) follows without
    # holding up the taps behind it (bench/rush.py)
    await query.answer(HELD)
    context.application.create_task(offer_payment(update, context, hold), update)


async def _answer(core: Core, action: str, ref: int, fan: FanRef) -> str:
    if action == "wait":
        return f"You are number {await core.holds.join_waitlist_as(ref, fan)} on the waitlist."
    if action == "rsvp":
        session = await core.live_reminders.rsvp_as(ref, fan)
        return f"See you at {session.title}! I will remind you (/start me if you have not)."
    session = await core.attendance.check_in_as(fan)
    return f"Checked in to {session.title}. Listen for the live code!"


async def my_data(update: Update, context: Context) -> None:
    """`/mydata`: everything held about the fan, as a file, in their private chat."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        await reply(update, wording.PRIVATE_ONLY)
        return
    data = await privacy.my_data(who(update))
    await context.bot.send_document(
        chat.id, data, filename=wording.MY_DATA_FILE, caption=wording.MY_DATA
    )


async def forget_me(update: Update, context: Context) -> None:
    """`/forgetme`: asks first; the button carries the fan id it was asked for."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        await reply(update, wording.PRIVATE_ONLY)
        return
    fan_id = await privacy.ask_to_forget(who(update))
    await reply(update, wording.FORGET_ASK, render.forget_buttons(fan_id))


async def forget_answer(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    choice = (query.data or "").removeprefix("forget:")
    if not choice.isdigit():
        await query.answer()
        await query.edit_message_text(wording.KEPT)
        return
    core = core_of(context)
    done = await privacy.forget_account(who(update), int(choice), core.perks, core.bus)
    await query.answer()
    await query.edit_message_text(wording.FORGOTTEN if done else wording.FORGET_NOT_YOURS)


async def opt_out(update: Update, context: Context) -> None:
    """The button on every campaign DM; pressed twice, it says so and changes nothing."""
    query = update.callback_query
    assert query is not None
    said_no = await core_of(context).consent.choose(who(update), False, "the opt-out button")
    await query.answer(wording.OPTED_OUT if said_no else wording.ALREADY_OUT, show_alert=True)


async def offer_payment(update: Update, context: Context, hold: HoldView) -> None:
    """Two taps from paid: a Stars invoice in the chat, or our tracked Stripe link."""
    fan = update.effective_user
    assert fan is not None
    try:
        paying = await core_of(context).holds.offer_to_pay(hold.id, hold.fan_id)
    except DropcastError as refusal:  # payments not set up: the hold was let go
        said = str(refusal)  # str.capitalize would lower a tier's own capitals
        await reply(update, f"{said[:1].upper()}{said[1:]}.")
        return
    offer = paying.offer
    when = f"{hold.expires_at:%H:%M} UTC"
    what = f"{offer.tier_name} is held for you"
    if paying.url is None:  # Stars, in one message: the invoice says how long it is held
        held = wording.held_until(what, when, offer.price, offer.pitch)  # plain text
        await send_invoice(context.bot, fan.id, offer, held)
        return
    held = wording.held_until(html.escape(what), when, offer.price, offer.pitch, render.strike)
    await reply(update, held, render.pay_button(paying.url), as_html=True)


async def pre_checkout(update: Update, context: Context) -> None:
    """Telegram waits 10 s for this answer: re-check the hold and say yes or why not."""
    query = update.pre_checkout_query
    assert query is not None
    hold_id = hold_named(query.invoice_payload)
    if hold_id is None:
        await query.answer(ok=False, error_message="This invoice is not one of ours.")
        return
    amount = Money(query.total_amount, query.currency)
    try:
        await core_of(context).holds.check_payable(hold_id, who(update), amount)
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
    """Tier, points, orders, and perk tokens (each held one with its code and a button)."""
    core = core_of(context)
    profile = await profile_of(who(update), core.keyring, pass_codes=core.pass_codes)
    await reply(update, wording.profile_text(profile)[:4000], tokens.token_buttons(profile))


async def perks(update: Update, context: Context) -> None:
    """Fresh invites to the perk chats the fan's orders give them (old ones stop working)."""
    titles = await core_of(context).perks.reissue_as(who(update))
    if not titles:
        await reply(update, "You have no perks yet: some drops' tiers come with one.")


async def link(update: Update, context: Context) -> None:
    """`/link` gives a code to send from Discord; `/link CODE` redeems one made there."""
    linking, fan = core_of(context).account_linking, who(update)
    if not context.args:
        await reply(update, wording.link_code_text(await linking.issue_as(fan), "Discord"))
        return
    await answer(
        update,
        linking.redeem_as(context.args[0], fan),
        lambda _: wording.LINKED,
        refused="Not linked: {}.",
    )


async def shout_outs(update: Update, context: Context) -> None:
    """`/shoutouts off` keeps the fan's name out of public congratulations; `on` allows it."""
    wanted = (context.args or [""])[0].lower()
    if wanted not in ("on", "off"):
        await reply(update, "Say /shoutouts on or /shoutouts off.")
        return
    await choose_shout_outs(who(update), wanted == "on")
    await reply(update, wording.shout_out_choice(wanted == "on"))


async def stop(update: Update, context: Context) -> None:
    await core_of(context).consent.choose(who(update), False, "/stop")
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


async def reply(update: Update, text: str, keyboard: Any = None, *, as_html: bool = False) -> None:
    """Answer in the chat; `as_html`: the text is Telegram HTML (a struck price, say)."""
    message = update.effective_message
    assert message is not None
    await message.reply_text(
        text, reply_markup=keyboard, parse_mode=ParseMode.HTML if as_html else None
    )


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """A fan's commands, buttons and payments; what no other handler took comes last."""
    commands = {
        "start": start, "drops": drops, "me": me, "perks": perks, "link": link,
        "checkin": check_in, "shoutouts": shout_outs, "stop": stop, "help": help_,
        "mydata": my_data, "forgetme": forget_me,
    }  # fmt: skip
    return [
        *(CommandHandler(name, handler) for name, handler in commands.items()),
        CallbackQueryHandler(opt_out, "^optout:"),
        CallbackQueryHandler(forget_answer, "^forget:"),
        CallbackQueryHandler(tapped),
        PreCheckoutQueryHandler(pre_checkout),
        MessageHandler(filters.SUCCESSFUL_PAYMENT, paid),
        MessageHandler(filters.StatusUpdate.REFUNDED_PAYMENT, refunded),
        MessageHandler(filters.ChatType.PRIVATE, anything_else),
    ]
