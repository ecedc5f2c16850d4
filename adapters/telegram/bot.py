"""The one `ExtBot` a process shares between its ports and its PTB application."""

from __future__ import annotations

import os
from typing import Any

from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from adapters.pacing import leaky_bucket
from config import Settings

TELEGRAM_API = "https://api.telegram.org"
# PTB 22 warns on every 429 until time periods are opted in as timedeltas, which is all we
# use; its documented opt-in is this variable
os.environ.setdefault("PTB_TIMEDELTA", "true")


CONNECTIONS = 16  # PTB's default is one: every call would wait for the one before


def telegram_bot(settings: Settings) -> ExtBot[Any]:
    """PTB's rate limiter keeps every call of the bot (answers, receipts, campaign DMs)
    under TELEGRAM_MESSAGES_PER_SECOND, right before it goes out, and waits out any 429
    (`retry_after`); several connections let calls go out side by side."""
    assert settings.telegram_token is not None
    burst, period = leaky_bucket(settings.telegram_messages_per_second)
    api = str(settings.telegram_api_base_url or TELEGRAM_API).rstrip("/")
    return ExtBot(
        settings.telegram_token.get_secret_value(),
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        request=HTTPXRequest(connection_pool_size=CONNECTIONS),
        rate_limiter=AIORateLimiter(
            overall_max_rate=burst, overall_time_period=period, max_retries=2
        ),
    )


async def ready(bot: ExtBot[Any]) -> ExtBot[Any]:
    """Ports may run before the application starts (the clock process); PTB's initialize
    does its work once and returns at once after that."""
    await bot.initialize()
    return bot
