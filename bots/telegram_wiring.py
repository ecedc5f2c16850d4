"""The Telegram bot's ports, from TELEGRAM_TOKEN (see bots/platforms.py)."""

from __future__ import annotations

from typing import Any

from telegram.ext import ExtBot

from adapters.telegram.bot import telegram_bot
from adapters.telegram.delivery import (
    StarsRefunds,
    TelegramAnnouncer,
    TelegramDesk,
    TelegramMessenger,
)
from adapters.telegram.perks import TelegramPerks
from adapters.telegram.star_subscriptions import TelegramStarSubscriptions
from bots.platforms import Connected
from config import Settings
from core.kinds import PaymentProvider, Platform
from core.ports import Clock


def connect_telegram(settings: Settings, clock: Clock) -> tuple[ExtBot[Any], Connected]:
    bot = telegram_bot(settings)
    return bot, Connected(
        Platform.TELEGRAM,
        announcer=TelegramAnnouncer(bot, clock),
        messenger=TelegramMessenger(bot),
        desk=TelegramDesk(bot, settings.admin_telegram_ids),
        perks=TelegramPerks(bot, clock),
        refunds={PaymentProvider.TELEGRAM_STARS: StarsRefunds(bot)},
        close=bot.shutdown,
        star_subscriptions=TelegramStarSubscriptions(bot),
    )
