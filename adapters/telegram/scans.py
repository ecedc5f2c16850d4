"""`/scan CODE`, or a pass's code or link sent as it is in the private chat: the creator's
admins check a pickup pass from the bot and mark it collected (core/popups/scanning.py).
Everyone else's text goes on to the fans' handlers."""

from __future__ import annotations

import re
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from adapters.scan_answers import scan_text
from adapters.telegram.creators import NOT_ADMIN, is_admin
from adapters.telegram.fans import Context, core_of, reply

# a signed code (core/signing.py), alone or at the end of its pass's address
PASS_TEXT = re.compile(r"^\s*(\S*/p/)?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/?\s*$")
HOW = "Send /scan with the pass's code or link (or just the link, here in our chat)."
LONGEST = 2000


async def scan(update: Update, context: Context) -> None:
    if not is_admin(update, context):
        await reply(update, NOT_ADMIN)
        return
    text = " ".join(context.args or [])
    await (_check(update, context, text) if text else reply(update, HOW))


async def scanned_text(update: Update, context: Context) -> None:
    """An admin's message that is a pass's code or link (the filters say so)."""
    text = update.effective_message.text or ""  # type: ignore[union-attr]
    await _check(update, context, text)


async def _check(update: Update, context: Context, text: str) -> None:
    user = update.effective_user
    assert user is not None
    scanned = core_of(context).scanning.collect_now(text[:LONGEST], user.full_name[:64])
    await reply(update, scan_text(await scanned))


def handlers(admins: filters.BaseFilter) -> list[BaseHandler[Any, Any, Any]]:
    """Before the fans' handlers, which answer any other text."""
    pass_text = (
        filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE & filters.Regex(PASS_TEXT)
    )
    return [CommandHandler("scan", scan), MessageHandler(pass_text & admins, scanned_text)]
