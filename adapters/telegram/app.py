"""The PTB application: handlers wired to the core, and an error handler that answers
politely and logs the update id, so no handler failure stops the bot."""

from __future__ import annotations

from typing import Any

import structlog
from telegram import Update
from telegram.ext import (
    Application,
    ExtBot,
    filters,
)

from adapters.telegram import (
    creators,
    fans,
    memberships,
    new_drop,
    pickup_choice,
    plans,
    scans,
    tokens,
)
from config import Settings
from core.app import Core

log = structlog.get_logger(__name__)
COMMANDS = [
    ("drops", "What is open and coming up"),
    ("me", "Your orders and perk tokens"),
    ("redeem", "Redeem a perk token: /redeem CODE"),
    ("gift", "A gift link for a perk token: /gift CODE"),
    ("perks", "Fresh invites to your perk chats"),
    ("link", "Join this account with your Discord one"),
    ("checkin", "I am listening to the live session"),
    ("join", "Become a member"),
    ("membership", "Your membership: state, cancel, re-enable"),
    ("help", "What I can do"),
    ("stop", "No more messages from me"),
    ("mydata", "Everything you hold about me, as a file"),
    ("forgetme", "Erase me (you will be asked first)"),
]
# a getUpdates batch at once: in a rush of 300 taps the last was answered after 1.05 s with 32
# or 64 handled at a time, 0.72 s with 100 (bench/rush.py)
CONCURRENT_UPDATES = 100
FORM_ANSWERS = -1  # the handler group that sees an admin's text before the others
SORRY = "Sorry, something went wrong on our side. Nothing was charged twice; please try again."


def telegram_application(
    bot: ExtBot[Any], core: Core, settings: Settings, *, polling: bool = True
) -> Application:  # type: ignore[type-arg]
    """Without `polling`, updates come in through the web server's webhook instead."""
    # fans tapping Buy at an opening are served at once, not one after another; the core's
    # conditional updates keep them from taking the same unit
    builder = Application.builder().bot(bot).concurrent_updates(CONCURRENT_UPDATES)
    application = (builder if polling else builder.updater(None)).build()
    application.bot_data.update(
        core=core,
        admins=frozenset(settings.admin_telegram_ids),
        timezone=settings.creator_timezone,
    )
    admins = filters.User(user_id=settings.admin_telegram_ids)
    application.add_handler(new_drop.answers(admins), group=FORM_ANSWERS)
    # each feature's own routes; the fans' last, as theirs catch what no other took
    routes = [
        *new_drop.handlers(admins),
        *creators.handlers(),
        *plans.handlers(),
        *memberships.handlers(),
        *scans.handlers(admins),
        *pickup_choice.handlers(),
        *tokens.handlers(),
        *fans.handlers(),
    ]
    application.add_handlers(routes)
    application.add_error_handler(_failed)
    return application


async def _failed(update: object, context: Any) -> None:
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("telegram_handler_failed", update_id=update_id, error=repr(context.error))
    if (
        isinstance(update, Update)
        and update.effective_chat
        and update.effective_chat.type == "private"
    ):
        try:
            await context.bot.send_message(update.effective_chat.id, SORRY)
        except Exception:  # the chat itself may be the problem (blocked, gone)
            log.warning("telegram_sorry_failed", update_id=update_id)
