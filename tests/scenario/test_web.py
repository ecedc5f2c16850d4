"""The web process answers health checks from a load balancer or a PaaS."""

from __future__ import annotations

import asyncio
import contextvars

from aiohttp.test_utils import TestClient, TestServer

from bots.processes import health_app
from config import load_settings


async def probe(database_url: str) -> tuple[int, dict]:
    async def get() -> tuple[int, dict]:
        app = health_app(load_settings(database_url=database_url))
        async with TestClient(TestServer(app)) as client:
            response = await client.get("/healthz")
            return response.status, await response.json()

    # the web process owns its database context, as it does in its own process
    return await asyncio.create_task(get(), context=contextvars.Context())


async def test_healthz_says_ok_when_the_database_answers(database_url):
    assert await probe(database_url) == (200, {"ok": True})


async def test_healthz_says_503_when_the_database_does_not_answer():
    status, body = await probe("postgres://postgres@127.0.0.1:1/nothing_listens_here")
    assert status == 503
    assert body["ok"] is False
