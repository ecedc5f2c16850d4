"""Telegram in webhook mode (PUBLIC_BASE_URL set): the web process tells Telegram where to
POST updates, handles them with the same bot, and refuses requests Telegram did not send."""

from __future__ import annotations

import asyncio
import contextvars
import json

from aiohttp.test_utils import TestClient, TestServer

from adapters.memory import ManualClock, MemoryPayLinks, MemoryRefunds
from adapters.telegram.webhook import SECRET_HEADER, webhook_secret
from bots.bootstrap import bootstrap
from bots.database import database
from bots.web_process import web_application
from config import Settings, load_settings
from core.models import ProviderEvent
from tests.builders import until_handled
from tests.peers.telegram_bot_api import TelegramBotApi
from tests.scenario.web_client import free_port

FAN = 2002


def webhook_settings(database_url: str, peer: TelegramBotApi, port: int) -> Settings:
    """Telegram in webhook mode, sending to a web process on `port`."""
    return load_settings(
        database_url=database_url,
        telegram_token=peer.token,
        telegram_api_base_url=peer.url,
        public_base_url=f"http://127.0.0.1:{port}",
    )


async def test_telegram_posts_updates_to_the_web_process_and_strangers_are_refused(database_url):
    async def scenario() -> None:
        async with TelegramBotApi() as peer:
            port = free_port()
            settings = webhook_settings(database_url, peer, port)
            app = web_application(
                settings, clock=ManualClock(), pay_links=MemoryPayLinks(), refunds=MemoryRefunds()
            )
            async with TestClient(TestServer(app, port=port)) as client:
                assert peer.webhook == {
                    "url": f"http://127.0.0.1:{port}/webhooks/telegram",
                    "secret_token": webhook_secret(peer.token),
                }
                assert [c["command"] for c in peer.commands][:2] == ["drops", "me"]
                await peer.user_sends(FAN, "/help")
                [reply] = await peer.wait_for(lambda: peer.to(FAN))
                assert "/drops - what is open and coming up" in reply.text

                update = {"update_id": 99, "message": {"message_id": 1, "date": 0,
                          "chat": {"id": FAN, "type": "private"}, "text": "/drops"}}  # fmt: skip
                body = json.dumps(update)
                for headers in ({}, {SECRET_HEADER: "guessed"}):
                    forged = await client.post("/webhooks/telegram", data=body, headers=headers)
                    assert forged.status == 403
                real = {SECRET_HEADER: webhook_secret(peer.token)}
                for garbage in ("not json", "[1, 2]", '{"message": {}}', '{"update_id": "x"}'):
                    refused = await client.post("/webhooks/telegram", data=garbage, headers=real)
                    assert refused.status == 400
                # updates are handled in order: had a refused one been queued, its answer
                # would come before this one's
                await peer.user_sends(FAN, "/help")
                await peer.wait_for(lambda: len(peer.to(FAN)) > 1)
                assert [m.text for m in peer.to(FAN)] == [reply.text, reply.text]
                await until_handled(2)()  # each kept before its 200, handled from there
                kept = ProviderEvent.filter(provider="telegram").order_by("id")
                outcomes = await kept.values_list("outcome", flat=True)
                assert outcomes == ["message handled", "message handled"]

    await asyncio.create_task(scenario(), context=contextvars.Context())


async def test_without_a_token_the_telegram_webhook_says_what_is_missing(database_url):
    async def scenario() -> tuple[int, dict]:
        app = web_application(load_settings(database_url=database_url))
        async with TestClient(TestServer(app)) as client:
            response = await client.post("/webhooks/telegram", data="{}")
            return response.status, await response.json()

    status, body = await asyncio.create_task(scenario(), context=contextvars.Context())
    assert (status, body) == (
        503,
        {"error": "this webhook needs TELEGRAM_TOKEN and PUBLIC_BASE_URL set"},
    )


async def test_an_update_kept_by_a_process_that_died_is_answered_by_the_next_one(database_url):
    """Telegram had its 200 (the update was stored) and the process died before handling
    it: Telegram will not send it again, so the next web process to start handles it."""

    async def scenario() -> list[str]:
        async with TelegramBotApi() as peer:
            port = free_port()
            settings = webhook_settings(database_url, peer, port)
            update = {"update_id": 7, "message": {"message_id": 1, "date": 0,
                      "chat": {"id": FAN, "type": "private"}, "text": "/help",
                      "from": {"id": FAN, "is_bot": False, "first_name": "Ana"},
                      "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}  # fmt: skip
            clock = ManualClock()
            async with database(database_url):
                died = bootstrap(settings, clock=clock)
                assert await died.core.inbox.keep("telegram", "7", "message", json.dumps(update))
                await died.close()
            assert await stored_updates(database_url) == [("7", None)]
            app = web_application(
                settings, clock=clock, pay_links=MemoryPayLinks(), refunds=MemoryRefunds()
            )
            async with TestClient(TestServer(app, port=port)):
                [reply] = await peer.wait_for(lambda: peer.to(FAN))
                return [reply.text]

    [text] = await asyncio.create_task(scenario(), context=contextvars.Context())
    assert "/drops - what is open and coming up" in text


async def stored_updates(database_url: str) -> list[tuple[str, str | None]]:
    async with database(database_url):
        return await ProviderEvent.filter(provider="telegram").values_list("event_id", "outcome")  # type: ignore[return-value]
