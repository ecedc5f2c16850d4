"""The one `ExtBot` a process shares between its ports and its PTB application."""

from __future__ import annotations

import os
from typing import Any

from telegram.ext import AIORateLimiter, ExtBot

from config import Settings

TELEGRAM_API = "https://api.telegram.org"
# PTB 22 warns on every 429 until time periods are opted in as timedeltas, which is all we
# use; its documented opt-in is this variable
os.environ.setdefault("PTB_TIMEDELTA", "true")


def telegram_bot(settings: Settings) -> ExtBot[Any]:
    """PTB's rate limiter waits out 429s (`retry_after`) and keeps to Telegram's limits."""
    assert settings.telegram_token is not None
    api = str(settings.telegram_api_base_url or TELEGRAM_API).rstrip("/")
    return ExtBot(
        settings.telegram_token.get_secret_value(),
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        rate_limiter=AIORateLimiter(
            overall_max_rate=settings.telegram_messages_per_second, max_retries=2
        ),
    )


async def ready(bot: ExtBot[Any]) -> ExtBot[Any]:
    """Ports may run before the application starts (the clock process); PTB's initialize
    does its work once and returns at once after that."""
    await bot.initialize()
    return bot
