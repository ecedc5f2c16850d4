"""Several processes sending with one Telegram token stay under its messages a second
together (adapters/telegram/bot.py `SharedPace`, core/pace.py): each send takes its turn in
the token's one schedule in the database, and a campaign's DM lets the fans' own go first."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import pytest

from adapters.telegram.bot import BULK, NOTICE, telegram_bot
from config import load_settings
from core.pace import take_turn
from tests.peers.telegram_bot_api import TelegramBotApi

LIMIT = 60  # Telegram's 30 a second, doubled so the test is short
# the setting, with room for sends a busy machine delays into the next one's moment (CI
# runs two test workers on two cores): each bot alone would still go over the limit
PER_SECOND = 48


async def test_two_processes_sending_at_once_are_never_answered_429(db):
    async with TelegramBotApi(overall_per_second=LIMIT) as peer:
        settings = load_settings(
            database_url=db, telegram_token=peer.token, telegram_api_base_url=peer.url,
            telegram_messages_per_second=PER_SECOND,
        )  # fmt: skip
        async with AsyncExitStack() as running:
            # two bots, each as its own process has it
            bots = [await running.enter_async_context(telegram_bot(settings)) for _ in range(2)]
            await asyncio.gather(*(
                bot.send_message(1000 + 100 * n + fan, "Paid: Winter drop")
                for n, bot in enumerate(bots) for fan in range(45)
            ))  # fmt: skip
    assert len(peer.sent) == 90
    assert peer.too_many == 0  # each bot alone lets 48 a second through: 96 together


async def test_a_reply_books_ahead_and_others_wait_until_the_schedule_is_near(db):
    key = "telegram:1"
    turns = [await take_turn(key, 0.1, 100.0) for _ in range(4)]
    assert turns == pytest.approx([0, 0.1, 0.2, 0.3])  # booked until 100.4
    assert await take_turn(key, 0.1, 100.0, BULK) is None  # more than its lead ahead
    assert await take_turn(key, 0.1, 100.05) == pytest.approx(0.35)  # a reply: the next
    assert await take_turn(key, 0.1, 100.3, BULK) == pytest.approx(0.2)
    assert await take_turn(key, 0.1, 100.3, NOTICE) == pytest.approx(0.3)
    assert await take_turn(key, 0.1, 200.0, BULK) == 0.0  # idle: at once
