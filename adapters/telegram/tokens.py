"""A fan's perk tokens in the bot chat: `/redeem CODE` and `/gift CODE` (or the Redeem and
Gift buttons under a token in `/me`), and the gift link itself, a deep link that opens the
chat with `/start gift_<code>` (core.telegram.org/bots/features#deep-linking: up to 64 of
A-Z, a-z, 0-9, _ and -; core/perk_tokens/codes.py leaves the code's dot out)."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from adapters import token_words, wording
from core.app import Core
from core.errors import DropcastError
from core.fans import FanProfile, FanRef
from core.kinds import Platform
from core.perk_tokens.codes import from_start_param, start_param
from core.perk_tokens.gifting import GiftCode

START = "gift_"
Context = ContextTypes.DEFAULT_TYPE


def _core(context: Context) -> Core:
    core: Core = context.application.bot_data["core"]
    return core


def _who(update: Update) -> FanRef:
    user = update.effective_user
    assert user is not None
    return FanRef(Platform.TELEGRAM, str(user.id), user.full_name)


async def _reply(update: Update, text: str) -> None:
    message = update.effective_message
    assert message is not None
    await message.reply_text(text)


def token_buttons(profile: FanProfile) -> InlineKeyboardMarkup | None:
    """`/me`: Redeem and Gift buttons for each token the fan holds."""
    rows = [
        [
            InlineKeyboardButton(f"Redeem {token.name}"[:64], callback_data=f"redeem:{token.id}"),
            InlineKeyboardButton("Gift it", callback_data=f"gift:{token.id}"),
        ]
        for token in profile.tokens
        if token.state == "held"
    ]
    return InlineKeyboardMarkup(rows[:10]) if rows else None


async def redeem(update: Update, context: Context) -> None:
    """`/redeem CODE`."""
    if not context.args:
        await _reply(update, "Send /redeem with your token's code; /me lists your tokens.")
        return
    redeeming = _core(context).tokens.redeeming.redeem_as(context.args[0][:200], _who(update))
    await _reply(
        update, await wording.outcome(redeeming, token_words.redeemed, "Not redeemed: {}.")
    )


async def tapped(update: Update, context: Context) -> None:
    """The Redeem and Gift buttons: each works only for the token's holder (checked by the
    core), whoever presses it."""
    query = update.callback_query
    assert query is not None
    action, _, ref = (query.data or "").partition(":")
    if not ref.isdigit():
        await query.answer("That button is out of date. /me lists your tokens.")
        return
    tokens, fan = _core(context).tokens, _who(update)
    try:
        if action == "redeem":
            text = token_words.redeemed(await tokens.redeeming.redeem_tapped(int(ref), fan))
        else:
            text = _gift_text(context, await tokens.gifting.gift_code_tapped(int(ref), fan))
    except DropcastError as refusal:
        refused = "Not redeemed" if action == "redeem" else "No gift link"
        await query.answer(f"{refused}: {refusal}."[:200], show_alert=True)
        return
    await query.answer()
    await _reply(update, text)


async def gift(update: Update, context: Context) -> None:
    """`/gift CODE`: a link that gives the token to the first friend who opens it."""
    if not context.args:
        await _reply(update, "Send /gift with your token's code; /me lists your tokens.")
        return
    gifting = _core(context).tokens.gifting.gift_code_as(context.args[0][:200], _who(update))
    text = await wording.outcome(
        gifting, lambda found: _gift_text(context, found), "No gift link: {}."
    )
    await _reply(update, text)


def _gift_text(context: Context, gift: GiftCode) -> str:
    link = f"https://t.me/{context.bot.username}?start={START}{start_param(gift.code)}"
    return token_words.gift_link(gift, link)


async def accept(update: Update, context: Context, param: str) -> None:
    """`/start gift_<code>`: the gift link was opened."""
    accepting = _core(context).tokens.gifting.accept_as(from_start_param(param[:64]), _who(update))
    await _reply(update, await wording.outcome(accepting, token_words.accepted, "No gift: {}."))


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CommandHandler("redeem", redeem),
        CommandHandler("gift", gift),
        CallbackQueryHandler(tapped, "^(redeem|gift):"),
    ]
