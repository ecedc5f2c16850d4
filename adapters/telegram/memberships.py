"""Memberships in the bot chat: `/join` (a plan's Telegram Stars subscription link, or its
card checkout through Stripe), `/membership` (each membership's state, its Stripe portal or
the buttons that cancel and re-enable a Stars subscription at Telegram), the deep link
`/start join_<plan>`, and a plan's Stars payments: the pre-checkout check, then each charge,
the first and every renewal Telegram takes by itself."""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from adapters import wording
from adapters.telegram.fans import Context, core_of, reply, who
from core.errors import DropcastError, ProviderUnreachable
from core.kinds import MemberState, SubscriptionProvider
from core.memberships.standing import FanMembership
from core.memberships.star_charges import PERIOD, StarsCharge, StarsOffer, plan_and_fan
from core.ports import NotConfigured

START = "join_"  # /start join_<plan id>: the deep link to one plan's /join
CARD = "joincard:"
RENEWING = re.compile(r"stars:(cancel|renew):(\d{1,10})")


class PlanPayment(filters.MessageFilter):
    """A successful payment for a plan's invoice (a drop's is adapters/telegram/fans.py's)."""

    def filter(self, message: Message) -> bool:
        paid = message.successful_payment
        return paid is not None and plan_and_fan(paid.invoice_payload) is not None


async def join(update: Update, context: Context) -> None:
    """`/join`: every plan on sale, each with its ways to pay."""
    await _offers(update, context, None)


async def join_start(update: Update, context: Context) -> None:
    """`/start join_<plan>`: one plan's /join (a tracked /l/ link leads here)."""
    ref = (context.args or [""])[0].removeprefix(START)
    if not ref.isdecimal():
        await reply(update, "That link is broken. /join shows the plans on sale.")
        return
    await _offers(update, context, int(ref))


async def _offers(update: Update, context: Context, plan_id: int | None) -> None:
    try:
        offers = await core_of(context).stars_memberships.offers(who(update), plan_id)
    except DropcastError as refusal:
        await reply(update, f"{str(refusal)[:1].upper()}{str(refusal)[1:]}.")
        return
    if not offers:
        await reply(update, wording.NO_PLANS)
    for offer in offers:
        await reply(update, wording.plan_offer_text(offer), _pay_buttons(offer))


def _pay_buttons(offer: StarsOffer) -> InlineKeyboardMarkup | None:
    if offer.member:
        return None
    rows = [[InlineKeyboardButton("Pay by card", callback_data=f"{CARD}{offer.plan_id}")]]
    if offer.url is not None and offer.stars is not None:
        rows.insert(0, [InlineKeyboardButton(wording.stars_price(offer.stars), url=offer.url)])
    return InlineKeyboardMarkup(rows)


async def by_card(update: Update, context: Context) -> None:
    """ "Pay by card": the fan's own Stripe checkout for the plan, or why not."""
    query = update.callback_query
    assert query is not None
    plan_id = int((query.data or "").removeprefix(CARD))
    try:
        url = await core_of(context).joining.join(plan_id, who(update))
    except NotConfigured as missing:
        await query.answer()
        await reply(update, wording.NO_CARD.format(missing))
        return
    except (DropcastError, ProviderUnreachable) as refusal:
        await query.answer(str(refusal)[:200], show_alert=True)
        return
    await query.answer()
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Pay by card", url=url)]])
    await reply(update, "Your card checkout is ready:", keyboard)


async def membership(update: Update, context: Context) -> None:
    """`/membership`: each membership's plan, state and dates, with how to manage it."""
    held = await core_of(context).joining.standing(who(update))
    if not held:
        await reply(update, wording.NO_MEMBERSHIP)
    for one in held:
        await reply(update, wording.membership_text(one), _manage_buttons(one))


def _manage_buttons(held: FanMembership) -> InlineKeyboardMarkup | None:
    if held.portal_url is not None:
        return InlineKeyboardMarkup([[InlineKeyboardButton("Manage", url=held.portal_url)]])
    if held.provider != SubscriptionProvider.TELEGRAM_STARS:
        return None
    return _renewal_button(held.membership_id, held.state != MemberState.CANCELLED_AT_PERIOD_END)


def _renewal_button(membership_id: int, renewing: bool) -> InlineKeyboardMarkup:
    if renewing:
        button = InlineKeyboardButton("Cancel", callback_data=f"stars:cancel:{membership_id}")
    else:
        button = InlineKeyboardButton("Re-enable", callback_data=f"stars:renew:{membership_id}")
    return InlineKeyboardMarkup([[button]])


async def renewing(update: Update, context: Context) -> None:
    """Cancel or Re-enable under a Stars membership: Telegram stops (or resumes) charging."""
    query = update.callback_query
    assert query is not None
    found = RENEWING.fullmatch(query.data or "")
    assert found is not None  # the handler's pattern
    wanted, membership_id = found[1] == "renew", int(found[2])
    try:
        view = await core_of(context).stars_memberships.set_renewing(
            membership_id, who(update), wanted
        )
    except DropcastError as refusal:
        await query.answer(str(refusal)[:200], show_alert=True)
        return
    await query.answer()
    await query.edit_message_text(
        wording.renewal_choice(wanted, view.current_period_end),
        reply_markup=_renewal_button(view.id, not view.cancel_at_period_end),
    )


async def pre_checkout(update: Update, context: Context) -> None:
    """Telegram waits 10 s: the plan is still on sale, at this price, for this fan."""
    query = update.pre_checkout_query
    assert query is not None
    try:
        await core_of(context).stars_memberships.check_payable(
            query.invoice_payload, who(update), query.total_amount
        )
    except DropcastError as refusal:
        await query.answer(ok=False, error_message=str(refusal)[:200])
        return
    await query.answer(ok=True)


async def paid(update: Update, context: Context) -> None:
    """A plan's charge, the first or a renewal: the membership moves to the period it paid
    for, once however often Telegram shows it (the clock's reconcile may come first)."""
    message = update.effective_message
    assert message is not None
    assert message.successful_payment is not None
    payment = message.successful_payment
    user = update.effective_user
    assert user is not None
    paid_at = message.date.astimezone(UTC)
    expires = payment.subscription_expiration_date
    charge = StarsCharge(
        charge_id=payment.telegram_payment_charge_id,
        user_ref=str(user.id),
        payload=payment.invoice_payload,
        stars=payment.total_amount,
        paid_at=paid_at,
        expires_at=expires.astimezone(UTC) if expires else paid_at + PERIOD,
        first=bool(payment.is_first_recurring) if payment.is_recurring else None,
    )
    settled = await core_of(context).stars_memberships.paid(charge)
    if settled.membership is not None and settled.changed and charge.first:
        await reply(update, wording.joined_text(settled.membership.current_period_end))


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Put before the fans' handlers, which take every other payment and /start."""
    return [
        CommandHandler("join", join),
        CommandHandler("membership", membership),
        CommandHandler("start", join_start, filters.Regex(rf"^/start {START}")),
        CallbackQueryHandler(by_card, rf"^{CARD}\d{{1,10}}$"),
        CallbackQueryHandler(renewing, RENEWING.pattern.join("^$")),
        PreCheckoutQueryHandler(pre_checkout, pattern=r"^plan:"),
        MessageHandler(filters.SUCCESSFUL_PAYMENT & PlanPayment(), paid),
    ]
