"""`dropcast telegram`: the bot, long polling (see bots/processes.py)."""

from __future__ import annotations

import asyncio

import structlog

from adapters.telegram.app import COMMANDS, telegram_application
from bots.bootstrap import bootstrap
from bots.database import database
from bots.outbox import deliver_notices
from bots.reaching import reaching
from config import Settings

log = structlog.get_logger(__name__)


async def serve_telegram(config: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Poll Telegram for updates and handle them until stopped."""
    stop = stop or asyncio.Event()
    async with database(config.database_url):
        app = bootstrap(config, role="telegram")
        try:
            assert app.telegram is not None
            application = telegram_application(app.telegram, app.core, config)
            with reaching("Telegram"):
                await application.initialize()  # checks the token: getMe
            async with application:
                await application.bot.set_my_commands(COMMANDS)
                assert application.updater is not None
                await application.updater.start_polling(poll_interval=0, timeout=10)
                await application.start()
                log.info("telegram_started", bot=application.bot.username)
                alive = asyncio.create_task(
                    deliver_notices(app.core, "telegram", stop, drain=False)
                )
                try:
                    await stop.wait()
                finally:
                    stop.set()
                    await alive
                    await application.updater.stop()
                    await application.stop()
        finally:  # a bot that never reached Telegram closes its connections too
            await app.close()
