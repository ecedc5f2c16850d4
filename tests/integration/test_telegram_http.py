"""PTB's calls over aiohttp (adapters/telegram/http.py), against a real HTTP server on
loopback: what Telegram receives, and PTB's own errors when it cannot be reached."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, TimedOut

from adapters.telegram.http import AiohttpRequest

TOKEN = "123456:" + "A" * 35
ME = {"id": 123456, "is_bot": True, "first_name": "Shop", "username": "shop_bot"}


@pytest.fixture
async def telegram() -> AsyncIterator[tuple[str, list[dict[str, object]]]]:
    """A stand-in that records each call's form, answers getMe and sendDocument, and never
    answers sendMessage (a Telegram that hangs)."""
    calls: list[dict[str, object]] = []
    released = asyncio.Event()

    async def call(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        form = await request.post()
        fields = {
            name: (value.filename, value.file.read()) if isinstance(value, web.FileField) else value
            for name, value in form.items()
        }
        calls.append({"method": method, "type": request.content_type, **fields})
        if method == "sendMessage":
            await released.wait()
        message = {"message_id": 1, "date": 0, "chat": {"id": 7, "type": "private"}}
        result = ME if method == "getMe" else message
        return web.json_response({"ok": True, "result": result})

    app = web.Application()
    app.router.add_post(f"/bot{TOKEN}/{{method}}", call)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/bot", calls
    released.set()
    await runner.cleanup()


async def test_a_file_goes_as_multipart_with_its_parameters(telegram):
    url, calls = telegram
    async with Bot(TOKEN, base_url=url, request=AiohttpRequest(2)) as bot:
        await bot.send_document(7, b'{"orders": []}', filename="mydata.json", caption="Yours")
    [sent] = [call for call in calls if call["method"] == "sendDocument"]
    assert sent["type"] == "multipart/form-data"
    assert (sent["chat_id"], sent["caption"]) == ("7", "Yours")
    assert sent["document"] == ("mydata.json", b'{"orders": []}')


async def test_plain_calls_go_as_a_form_of_json_values(telegram):
    url, calls = telegram
    text = "Héllo & goodbye = 100% 🎁"
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Buy", callback_data="buy:1")]])
    async with Bot(TOKEN, base_url=url, request=AiohttpRequest(2)) as bot:
        assert bot.username == "shop_bot"  # Telegram's answer, read by PTB
        with pytest.raises(TimedOut):  # this stand-in never answers a message
            await bot.send_message(7, text, reply_markup=keyboard, read_timeout=0.2)
    [me, sent] = calls
    assert (me["method"], me["type"]) == ("getMe", "application/x-www-form-urlencoded")
    assert (sent["type"], sent["chat_id"], sent["text"]) == (
        "application/x-www-form-urlencoded",
        "7",
        text,
    )
    assert json.loads(str(sent["reply_markup"])) == keyboard.to_dict()


async def test_a_telegram_that_does_not_answer_in_time_is_ptbs_timed_out(telegram):
    url, _ = telegram
    async with Bot(TOKEN, base_url=url, request=AiohttpRequest(2)) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(7, "hello", read_timeout=0.2)


async def test_a_telegram_that_cannot_be_reached_is_ptbs_network_error():
    bot = Bot(TOKEN, base_url="http://127.0.0.1:9/bot", request=AiohttpRequest(2))
    try:
        with pytest.raises(NetworkError) as refused:
            await bot.initialize()
        assert not isinstance(refused.value, TimedOut)
    finally:
        await bot.shutdown()
