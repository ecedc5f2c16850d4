"""Telegram's webhook mode: Telegram POSTs each update to `/webhooks/telegram` on our web
server instead of the bot polling for it, so several web processes can share the load.

Telegram sends back the secret we gave `setWebhook` in a header; a request without it is
not from Telegram and is refused before its body is read as an update.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import structlog
from telegram import Update
from telegram.ext import Application

from adapters.telegram.app import COMMANDS
from adapters.web.webhooks import WebhookReply

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
    def __init__(self, application: Application, public_base_url: str) -> None:  # type: ignore[type-arg]
        self.application = application
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
        # handled in PTB's own queue, as polled updates are: Telegram gets its 200 at once
        await self.application.update_queue.put(update)
        return WebhookReply(200, {"outcome": "queued"})
