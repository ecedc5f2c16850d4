"""Every check of `dropcast doctor`, in the order a creator fixes things: the database
(the servers and chats to check are read from it), PUBLIC_BASE_URL, then each platform,
whose own checks live beside its adapter."""

from __future__ import annotations

from contextlib import AsyncExitStack

from adapters.discord.doctor import discord_checks
from adapters.stripe.doctor import stripe_checks
from adapters.telegram.doctor import telegram_checks
from bots.database import DatabaseUnavailable, database, describe, require_migrated
from bots.doctor.public_url import public_url_check
from config import Settings
from core.doctor import Check, failed, not_configured, passed

NO_PLATFORM = failed(
    "Discord and Telegram",
    "neither DISCORD_TOKEN nor TELEGRAM_TOKEN is set: a drop is announced nowhere",
    "set DISCORD_TOKEN and/or TELEGRAM_TOKEN (README: Connect Discord, Connect Telegram)",
)


async def checklist(config: Settings) -> list[Check]:
    database_check = await _database(config.database_url)
    checks = [database_check, await public_url_check(config.public_base_url)]
    places = database_check.ok  # servers and chats are known from the database only
    async with AsyncExitStack() as opened:
        if places:
            await opened.enter_async_context(database(config.database_url))
        if not config.platforms:
            checks.append(NO_PLATFORM)
        if config.discord_token:
            checks += await discord_checks(config, places=places)
        elif config.platforms:
            checks.append(not_configured("Discord", "DISCORD_TOKEN"))
        if config.telegram_token:
            checks += await telegram_checks(config, places=places)
        elif config.platforms:
            checks.append(not_configured("Telegram", "TELEGRAM_TOKEN"))
    if config.stripe_secret_key:
        checks += await stripe_checks(config)
    else:
        checks.append(not_configured("Stripe", "STRIPE_SECRET_KEY"))
    return checks


async def _database(url: str) -> Check:
    try:
        await require_migrated(url)
    except DatabaseUnavailable as error:
        return failed("Database", "cannot be used as it is", str(error))
    return passed("Database", f"{describe(url)}, migrated")
