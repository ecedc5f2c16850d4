"""Telegram's webhook mode: Telegram POSTs each update to `/webhooks/telegram` on our web
server instead of the bot polling for it, so several web processes can share the load.

Telegram sends back the secret we gave `setWebhook` in a header; a request without it is
not from Telegram and is refused before its body is read as an update. An update is kept
in the inbox (core/inbox.py) before Telegram gets its 200, so a crash cannot lose it (a
Stars payment above all), and is handled from there by whichever web process claims it:
one chat's updates one at a time and in order, as an admin's /newdrop form needs,
different chats side by side.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import structlog
from telegram import Update
from telegram.ext import Application

from adapters.telegram.app import COMMANDS
from adapters.webhooks import WebhookReply
from core.inbox import DUPLICATE, Inbox

log = structlog.get_logger(__name__)
PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_secret(token: str) -> str:
    """Derived from the bot token, so every web process agrees on it with no setting of its
    own (Telegram allows up to 256 of A-Z, a-z, 0-9, _ and -)."""
    return hmac.new(token.encode(), b"dropcast telegram webhook", hashlib.sha256).hexdigest()


def webhook_url(public_base_url: str) -> str:
    return public_base_url.rstrip("/") + PATH


class TelegramWebhook:
    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        inbox: Inbox,
        public_base_url: str,
    ) -> None:
        self.application = application
        self.inbox = inbox
        self.url = webhook_url(public_base_url)
        self.secret = webhook_secret(application.bot.token)

    async def start(self) -> None:
        """Start handling updates and tell Telegram where to send them."""
        await self.application.initialize()
        await self.application.start()
        await self.application.bot.set_webhook(
            self.url, secret_token=self.secret, allowed_updates=Update.ALL_TYPES
        )
        await self.application.bot.set_my_commands(COMMANDS)
        log.info("telegram_webhook_set", url=self.url)

    async def stop(self) -> None:
        """Stop handling; the webhook stays set, for the next process to start to serve."""
        await self.application.stop()
        await self.application.shutdown()

    async def receive(self, body: bytes, headers: Mapping[str, str]) -> WebhookReply:
        if not hmac.compare_digest(headers.get(SECRET_HEADER, "").encode(), self.secret.encode()):
            return WebhookReply(403, {"error": "secret token does not match"})
        try:
            data: Any = json.loads(body)
            update = Update.de_json(data, self.application.bot) if isinstance(data, dict) else None
        except (ValueError, TypeError, KeyError):
            update = None
        if update is None or not isinstance(data.get("update_id"), int):
            return WebhookReply(400, {"error": "body is not a Telegram update"})
        kept = await self.inbox.keep(
            "telegram", str(update.update_id), _kind(data), body.decode(), key=_chat_key(update)
        )
        return WebhookReply(200, {"outcome": "accepted" if kept else DUPLICATE})

    async def handle(self, kind: str, payload: str, received_at: datetime) -> str:
        """A kept update, handled as PTB handles a polled one (whenever it arrived)."""
        update = Update.de_json(json.loads(payload), self.application.bot)
        await self.application.process_update(update)
        return f"{kind} handled"


def _kind(data: Mapping[str, Any]) -> str:
    """The update's kind: the one field besides its id (message, callback_query, …)."""
    return next((name for name in data if name != "update_id"), "unknown")


def _chat_key(update: Update) -> str | None:
    """Updates from one chat (or, without a chat, one person) are handled in turn."""
    if update.effective_chat is not None:
        return f"telegram:chat:{update.effective_chat.id}"
    if update.effective_user is not None:
        return f"telegram:user:{update.effective_user.id}"
    return None
