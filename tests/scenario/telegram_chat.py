"""Chatting with the Telegram bot: the real python-telegram-bot application long-polling a
fake Bot API on loopback (tests/peers/telegram_bot_api.py), and the people who write to it.
The `bot` fixture (conftest.py) is one such bot process on the test's database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from adapters.memory import ManualClock, MemoryPayLinks, MemoryRefunds
from adapters.telegram.app import telegram_application
from bots.bootstrap import App, bootstrap
from config import Settings, load_settings
from tests.peers.telegram_bot_api import Invoice, Sent, TelegramBotApi

ADMIN, FAN, OTHER = 1001, 2002, 3003  # the creator's admin, and two fans


@dataclass
class Bot:
    peer: TelegramBotApi
    app: App
    clock: ManualClock

    async def says(self, user_id: int, text: str) -> Sent:
        """Send as a user and wait for the bot's next message to them."""
        before = len(self.peer.to(user_id))
        await self.peer.user_sends(user_id, text)
        await self.peer.wait_for(lambda: len(self.peer.to(user_id)) > before)
        return self.peer.to(user_id)[before]

    async def says_in(self, group: int, user_id: int, text: str) -> Sent:
        """Send in a group and wait for the bot's next message there."""
        before = len(self.peer.to(group))
        await self.peer.user_sends(user_id, text, in_group=group)
        await self.peer.wait_for(lambda: len(self.peer.to(group)) > before)
        return self.peer.to(group)[before]

    async def buys(self, user_id: int, card: Sent, button: str = "Buy") -> Invoice:
        """Tap Buy on a Stars tier and wait for the invoice that follows the hold."""

        def mine() -> list[Invoice]:
            return [i for i in self.peer.invoices if i.chat_id == user_id]

        before = len(mine())
        assert await self.taps(user_id, card, card.button(button)["callback_data"]) == (
            "Held for you!"
        )
        invoices: list[Invoice] = await self.peer.wait_for(lambda: len(mine()) > before and mine())
        return invoices[-1]

    async def taps(self, user_id: int, message: Sent, data: str) -> str:
        query = await self.peer.user_taps(user_id, message, data)
        answer = await self.peer.wait_for(lambda: self.peer.answers.get(query))
        return str(answer.get("text", ""))


@asynccontextmanager
async def bot_process(
    peer: TelegramBotApi, db: str, clock: ManualClock, *, stripe: bool = True
) -> AsyncIterator[Bot]:
    """One bot process on the database `db`; several in turn are a bot restarted (or the
    next web process), the peer and the database staying the same. Without `stripe`, card
    payments are not set up, as for a creator who has not set STRIPE_SECRET_KEY."""
    settings = load_settings(
        database_url=db,
        telegram_token=peer.token,
        telegram_api_base_url=peer.url,
        admin_telegram_ids=str(ADMIN),
    )
    peer.now = lambda: clock.now().timestamp()  # Telegram's calendar is the test's
    pay_links = MemoryPayLinks() if stripe else None
    app = bootstrap(settings, clock=clock, pay_links=pay_links, refunds=MemoryRefunds())
    async with polling(app, settings):
        yield Bot(peer, app, clock)
    await app.close()


@asynccontextmanager
async def polling(app: App, settings: Settings) -> AsyncIterator[None]:
    """The real PTB application long-polling the peer, as `dropcast telegram` runs it."""
    assert app.telegram is not None
    application = telegram_application(app.telegram, app.core, settings)
    async with application:
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        await application.start()
        try:
            yield
        finally:
            await application.updater.stop()
            await application.stop()
