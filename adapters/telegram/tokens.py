"""A fan's perk tokens in the bot chat: `/redeem CODE` and `/gift CODE` (or the Redeem and
Gift buttons under a token in `/me`), and the gift link itself, a deep link that opens the
chat with `/start gift_<code>` (core.telegram.org/bots/features#deep-linking: up to 64 of
A-Z, a-z, 0-9, _ and -; core/perk_tokens/codes.py leaves the code's dot out)."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from adapters import token_words, wording
from adapters.telegram import fans  # a module: fans imports this one too
from core.errors import DropcastError
from core.fans import FanProfile
from core.perk_tokens.codes import from_start_param, start_param
from core.perk_tokens.gifting import GiftCode

START = "gift_"


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


async def redeem(update: Update, context: fans.Context) -> None:
    """`/redeem CODE`."""
    if not context.args:
        await fans.reply(update, "Send /redeem with your token's code; /me lists your tokens.")
        return
    redeeming = fans.core_of(context).tokens.redeeming.redeem_as(
        context.args[0][:200], fans.who(update)
    )
    await fans.reply(
        update, await wording.outcome(redeeming, token_words.redeemed, "Not redeemed: {}.")
    )


async def tapped(update: Update, context: fans.Context) -> None:
    """The Redeem and Gift buttons: each works only for the token's holder (checked by the
    core), whoever presses it."""
    query = update.callback_query
    assert query is not None
    action, _, ref = (query.data or "").partition(":")
    if not ref.isdigit():
        await query.answer("That button is out of date. /me lists your tokens.")
        return
    tokens, fan = fans.core_of(context).tokens, fans.who(update)
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
    await fans.reply(update, text)


async def gift(update: Update, context: fans.Context) -> None:
    """`/gift CODE`: a link that gives the token to the first friend who opens it."""
    if not context.args:
        await fans.reply(update, "Send /gift with your token's code; /me lists your tokens.")
        return
    gifting = fans.core_of(context).tokens.gifting.gift_code_as(
        context.args[0][:200], fans.who(update)
    )
    text = await wording.outcome(
        gifting, lambda found: _gift_text(context, found), "No gift link: {}."
    )
    await fans.reply(update, text)


def _gift_text(context: fans.Context, gift: GiftCode) -> str:
    link = f"https://t.me/{context.bot.username}?start={START}{start_param(gift.code)}"
    return token_words.gift_link(gift, link)


async def accept(update: Update, context: fans.Context, param: str) -> None:
    """`/start gift_<code>`: the gift link was opened."""
    accepting = fans.core_of(context).tokens.gifting.accept_as(
        from_start_param(param[:64]), fans.who(update)
    )
    await fans.reply(update, await wording.outcome(accepting, token_words.accepted, "No gift: {}."))


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CommandHandler("redeem", redeem),
        CommandHandler("gift", gift),
        CallbackQueryHandler(tapped, "^(redeem|gift):"),
    ]
