"""`/newdrop`: an admin makes a drop in a guided chat (title, tiers, opening time, confirm).

The form lives in the database (core/drop_forms.py), so whichever process handles the
admin's next message, after a restart or on another web process, carries it on. Each
handler makes one core call and asks the question the form's step calls for."""

from __future__ import annotations

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
from core.drop_forms import FormEnded, Step, Turn
from core.drops.specs import TIER_HELP
from core.errors import DropcastError

ENDED = "That form has ended (made, stopped or left for an hour). /newdrop starts a new one."
# what each step asks, and what a refused answer is told to do
QUESTIONS = {
    Step.TIERS: "Its tiers, one per line. " + TIER_HELP,
    Step.OPENS: "When does it open? now, +30m, in 2h, or 2026-12-01T18:00+01:00",
    Step.CONFIRM: "Tap Create or Cancel above (or /cancel).",
}
AGAIN = {
    Step.TITLE: "Try again.",
    Step.TIERS: "Send the tiers again.",
    Step.OPENS: "When does it open?",
    Step.CONFIRM: QUESTIONS[Step.CONFIRM],
}
CONFIRM = InlineKeyboardMarkup(
    [[InlineKeyboardButton("Create", callback_data="newdrop:yes")],
     [InlineKeyboardButton("Cancel", callback_data="newdrop:no")]]
)  # fmt: skip


async def new_drop(update: Update, context: Context) -> None:
    if not is_admin(update, context):
        await reply(update, NOT_ADMIN)
        return
    user, chat = _who(update)
    members_only = [word.lower() for word in context.args or []] == ["members"]
    if context.args and not members_only:
        await reply(update, "Say /newdrop, or /newdrop members for a drop only members may buy.")
        return
    await core_of(context).drop_forms.begin(user, chat, members_only=members_only)
    kind = "members-only drop" if members_only else "drop"
    await reply(update, f"A new {kind}. What is its title? (/cancel to stop)")


async def answered(update: Update, context: Context) -> None:
    """An admin's text: the next answer of their form in this chat, and then no other
    handler sees it; without a form, the other handlers take it as usual."""
    user, chat = _who(update)
    text = update.effective_message.text or ""  # type: ignore[union-attr]
    zone = context.application.bot_data["timezone"]
    turn = await core_of(context).drop_forms.answer(user, chat, text, zone)
    if turn is None:
        return
    if turn.problem is not None:
        problem = turn.problem[:1].upper() + turn.problem[1:]
        await reply(update, f"{problem}. {AGAIN[turn.step]}")
    elif turn.moved:  # else another handling of this answer asked already
        await _ask(update, turn)
    raise ApplicationHandlerStop


async def _ask(update: Update, turn: Turn) -> None:
    if turn.step != Step.CONFIRM:
        await reply(update, QUESTIONS[turn.step])
        return
    summary = "\n".join(f"• {t.name}: {t.price}, stock {t.stock}" for t in turn.tiers)
    opening = turn.opens_at or "now"
    members = ", for members only" if turn.members_only else ""
    await reply(update, f"{turn.title}, opening {opening}{members}:\n{summary}", CONFIRM)


async def confirmed(update: Update, context: Context) -> None:
    """*Create* or *Cancel* under the summary: one drop however often the tap arrives."""
    query = update.callback_query
    assert query is not None
    if not is_admin(update, context):
        await query.answer(NOT_ADMIN)
        return
    user, chat = _who(update)
    create = query.data == "newdrop:yes"
    try:
        drop = await core_of(context).drop_forms.finish(user, chat, create=create)
    except FormEnded:
        await query.answer(ENDED)
        return
    except DropcastError as error:  # the drop itself was refused
        await query.answer()
        await reply(update, f"Not created: {error}")
        return
    await query.answer()
    if drop is None:
        await reply(update, "Dropped. Nothing was created.")
        return
    await reply(update, f"Drop #{drop.id} is {drop.status}. /announce {drop.id} posts it.")


async def cancel(update: Update, context: Context) -> None:
    user, _ = _who(update)
    if await core_of(context).drop_forms.end(user):
        await reply(update, "Stopped. Nothing was created.")
    else:
        await reply(update, "There is no /newdrop form to stop.")


def _who(update: Update) -> tuple[int, int]:
    assert update.effective_user is not None
    assert update.effective_chat is not None
    return update.effective_user.id, update.effective_chat.id


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
