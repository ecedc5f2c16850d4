"""Telegram in webhook mode (PUBLIC_BASE_URL set): the web process tells Telegram where to
POST updates, handles them with the same bot, and refuses requests Telegram did not send."""

from __future__ import annotations

import asyncio
import contextvars
import json

from aiohttp.test_utils import TestClient, TestServer

from adapters.memory import ManualClock, MemoryPayLinks, MemoryRefunds
from adapters.telegram.webhook import SECRET_HEADER, webhook_secret
from bots.processes import web_application
from config import load_settings
from tests.peers.telegram_bot_api import TelegramBotApi
from tests.scenario.web_client import free_port

FAN = 2002


async def test_telegram_posts_updates_to_the_web_process_and_strangers_are_refused(database_url):
    async def scenario() -> None:
        async with TelegramBotApi() as peer:
            port = free_port()
            settings = load_settings(
                database_url=database_url,
                telegram_token=peer.token,
                telegram_api_base_url=peer.url,
                public_base_url=f"http://127.0.0.1:{port}",
            )
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
