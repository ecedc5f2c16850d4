"""`/newdrop`: an admin makes a drop in a guided chat (title, tiers, opening time, confirm).

The form lives in the database (core/telegram_forms.py), so whichever process handles
the admin's next message, after a restart or on another web process, carries it on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from adapters.telegram.creators import NOT_ADMIN, is_admin
from adapters.telegram.fans import Context, core_of, reply
from core import telegram_forms as forms
from core.drops.specs import TIER_HELP, parse_tiers
from core.errors import DropcastError
from core.times import parse_opening

TITLE, TIERS, OPENS, CONFIRM = "title", "tiers", "opens", "confirm"
ENDED = "That form has ended (made, stopped or left for an hour). /newdrop starts a new one."


async def new_drop(update: Update, context: Context) -> None:
    if not is_admin(update, context):
        await reply(update, NOT_ADMIN)
        return
    user, chat = _who(update)
    await forms.begin(user, chat, TITLE, _now(context))
    await reply(update, "A new drop. What is its title? (/cancel to stop)")


async def answered(update: Update, context: Context) -> None:
    """An admin's text: the next answer of their form in this chat, and then no other
    handler sees it; without a form, the other handlers take it as usual."""
    user, chat = _who(update)
    form = await forms.current(user, chat, _now(context))
    if form is None:
        return
    text = update.effective_message.text or ""  # type: ignore[union-attr]
    await STEPS[form.step](update, context, form, text)
    raise ApplicationHandlerStop


async def _title(update: Update, context: Context, form: forms.Form, text: str) -> None:
    title = text.strip()
    if not 1 <= len(title) <= 120:
        await reply(update, "A title is 1 to 120 characters. Try again.")
        return
    question = "Its tiers, one per line. " + TIER_HELP
    await _advance(update, context, form, TIERS, question, title=title)


async def _tiers(update: Update, context: Context, form: forms.Form, text: str) -> None:
    try:
        parse_tiers(text)
    except DropcastError as error:
        await reply(update, f"{error}. Send the tiers again.")
        return
    question = "When does it open? now, +30m, in 2h, or 2026-12-01T18:00+01:00"
    await _advance(update, context, form, OPENS, question, tiers=text)


async def _opening(update: Update, context: Context, form: forms.Form, text: str) -> None:
    zone = context.application.bot_data["timezone"]
    try:
        opens_at = parse_opening(text, now=_now(context), zone=zone)
    except DropcastError as error:
        await reply(update, f"{error}. When does it open?")
        return
    tiers = parse_tiers(form.answers["tiers"])
    summary = "\n".join(f"• {t.name}: {t.price}, stock {t.stock}" for t in tiers)
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Create", callback_data="newdrop:yes")],
         [InlineKeyboardButton("Cancel", callback_data="newdrop:no")]]
    )  # fmt: skip
    question = f"{form.answers['title']}, opening {opens_at or 'now'}:\n{summary}"
    opening = opens_at.isoformat() if opens_at else None
    await _advance(update, context, form, CONFIRM, question, keyboard, opens_at=opening)


async def _waiting(update: Update, context: Context, form: forms.Form, text: str) -> None:
    await reply(update, "Tap Create or Cancel above (or /cancel).")


Step = Callable[[Update, Context, forms.Form, str], Awaitable[None]]
STEPS: dict[str, Step] = {TITLE: _title, TIERS: _tiers, OPENS: _opening, CONFIRM: _waiting}


async def _advance(
    update: Update,
    context: Context,
    form: forms.Form,
    step: str,
    question: str,
    keyboard: Any = None,
    **answers: Any,
) -> None:
    """Ask the next question, unless the form moved on meanwhile (this answer was taken)."""
    user, _ = _who(update)
    if await forms.advance(user, form, step, _now(context), **answers):
        await reply(update, question, keyboard)


async def confirmed(update: Update, context: Context) -> None:
    """*Create* or *Cancel* under the summary; the form is taken once, so one drop is made
    however often the tap arrives."""
    query = update.callback_query
    assert query is not None
    if not is_admin(update, context):
        await query.answer(NOT_ADMIN)
        return
    user, chat = _who(update)
    form = await forms.take(user, chat, CONFIRM, _now(context))
    if form is None:
        await query.answer(ENDED)
        return
    await query.answer()
    if query.data != "newdrop:yes":
        await reply(update, "Dropped. Nothing was created.")
        return
    answers, opening = form.answers, form.answers["opens_at"]
    opens_at = datetime.fromisoformat(opening) if opening else None
    try:
        tiers = parse_tiers(answers["tiers"])
        drop = await core_of(context).drops.launch(answers["title"], tiers, opens_at)
    except DropcastError as error:
        await reply(update, f"Not created: {error}")
        return
    await reply(update, f"Drop #{drop.id} is {drop.status}. /announce {drop.id} posts it.")


async def cancel(update: Update, context: Context) -> None:
    user, _ = _who(update)
    if await forms.end(user, _now(context)):
        await reply(update, "Stopped. Nothing was created.")
    else:
        await reply(update, "There is no /newdrop form to stop.")


def _who(update: Update) -> tuple[int, int]:
    assert update.effective_user is not None
    assert update.effective_chat is not None
    return update.effective_user.id, update.effective_chat.id


def _now(context: Context) -> datetime:
    return core_of(context).clock.now()


def handlers(admins: filters.BaseFilter) -> list[BaseHandler[Any, Any, Any]]:
    """`/newdrop`, its form's answers and its confirmation; only admins' text is read."""
    return [
        CommandHandler("newdrop", new_drop),
        CommandHandler("cancel", cancel, filters=admins),
        CallbackQueryHandler(confirmed, "^newdrop:"),
    ]


def answers(admins: filters.BaseFilter) -> MessageHandler[Any, Any]:
    """An admin's text while a form is open: seen before every other handler."""
    return MessageHandler(filters.TEXT & ~filters.COMMAND & admins, answered)
