"""The one `ExtBot` a process shares between its ports and its PTB application."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import AIORateLimiter, ExtBot

from adapters.pacing import Turns, leaky_bucket
from adapters.telegram.http import AiohttpRequest
from config import Settings
from core.pace import ANY_LEAD, booked_until

TELEGRAM_API = "https://api.telegram.org"
# PTB 22 warns on every 429 until time periods are opted in as timedeltas, which is all we
# use; its documented opt-in is this variable
os.environ.setdefault("PTB_TIMEDELTA", "true")


CONNECTIONS = 16  # PTB's default is one: every call would wait for the one before
# the calls that send a message, which Telegram counts against a token's messages a second
# (the peer's flood limits: tests/peers/telegram_bot_api.py)
MESSAGES = frozenset(("sendMessage", "sendInvoice", "sendDocument"))
# `rate_limit_args` of a send that may wait for others: how far ahead it may book the
# token's schedule (core/pace.py); a send without one is a reply to a fan, and goes first
NOTICE = 1.0  # a receipt, a reminder, an offer: a fan's reply waits at most this behind
BULK = 0.25  # a campaign's DM


class SharedPace(AIORateLimiter):
    """PTB's rate limiter, behind the token's one schedule in the database (core/pace.py):
    every process sending with the token takes its turn from it, so together they stay
    under TELEGRAM_MESSAGES_PER_SECOND; a send made with `rate_limit_args=NOTICE` or `BULK`
    books the schedule only that far ahead, and lets replies to fans go first. PTB's own
    limits (per group, waiting out a 429) apply as before."""

    def __init__(self, key: str, interval: float, burst: int = 1, **limits: Any) -> None:
        super().__init__(**limits)
        self.key = key
        self.interval = interval
        self.turns = Turns(key, interval)
        self.tolerance = burst * interval  # how far a late send's successors may catch up
        self._spacing = asyncio.Lock()
        self._due = 0.0  # this process's next send, one interval after the last

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Any,
    ) -> Any:
        lead = rate_limit_args if rate_limit_args in (NOTICE, BULK) else ANY_LEAD

        async def in_turn(*call_args: Any, **call_kwargs: Any) -> Any:
            # right before the call, and again before each retry after a 429
            if endpoint in MESSAGES:
                await self._turn(lead)
            return await callback(*call_args, **call_kwargs)

        limit_args = None if lead != ANY_LEAD else rate_limit_args
        return await super().process_request(in_turn, args, kwargs, endpoint, data, limit_args)

    async def _turn(self, lead: float) -> None:
        """Wait for this send's moment, asking again while the schedule is booked further
        ahead than `lead`."""
        while True:
            wait = await self.turns.turn(lead)
            if wait is not None:
                await asyncio.sleep(wait)
                return await self._spaced()
            free = await booked_until(self.key) - lead - time.time()
            await asyncio.sleep(max(self.interval, free))

    async def _spaced(self) -> None:
        """This process's sends never closer together than the schedule's pace allows: a
        send that woke late for its turn (a busy event loop) would otherwise leave right
        before the next one, and a second counted from it see one message too many
        (bench/rush.py: one 429, a second lost, in a rush of 100 offers). Those after a late
        send may catch up by the burst the pace leaves room for, so lateness is not carried
        into every later send (bench/broadcast.py: the rate fell to 0.93 of the limit)."""
        async with self._spacing:
            now = time.monotonic()
            wait = max(0.0, self._due - self.tolerance - now)
            await asyncio.sleep(wait)
            self._due = max(self._due, now + wait) + self.interval


def telegram_bot(settings: Settings) -> ExtBot[Any]:
    """Every message the bot sends, from any process, takes its turn in the token's schedule
    (`SharedPace`); PTB's limiter keeps this process's calls under
    TELEGRAM_MESSAGES_PER_SECOND too and waits out any 429 (`retry_after`); several
    connections let calls go out side by side."""
    assert settings.telegram_token is not None
    token = settings.telegram_token.get_secret_value()
    burst, period = leaky_bucket(settings.telegram_messages_per_second)
    api = str(settings.telegram_api_base_url or TELEGRAM_API).rstrip("/")
    pace = SharedPace(
        f"telegram:{token.partition(':')[0]}",  # the bot's id: public, unlike the token
        period / burst,
        int(burst),
        overall_max_rate=burst,
        overall_time_period=period,
        max_retries=2,
    )
    return ExtBot(
        token,
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        request=AiohttpRequest(CONNECTIONS),
        rate_limiter=pace,
    )


async def ready(bot: ExtBot[Any]) -> ExtBot[Any]:
    """Ports may run before the application starts (the clock process); PTB's initialize
    does its work once and returns at once after that."""
    await bot.initialize()
    return bot
