"""Talking HTTP to the `web` process's application, wired as `dropcast web` wires it."""

from __future__ import annotations

import asyncio
import contextvars
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from bots.web_process import web_application
from config import Settings

Wait = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Get:
    path: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Post:
    path: str
    body: bytes
    headers: dict[str, str]


def free_port() -> int:
    """A port nothing listens on, for a server whose address must be known in advance."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def exchange(
    config: Settings, requests: Sequence[Get | Post | str | Wait], **overrides: object
) -> list[tuple[int, dict]]:
    """Serve the app for these requests (a path means GET without headers; a `Wait` is
    awaited in between, with no reply); its own database context, as in its own process."""

    async def serve() -> list[tuple[int, dict]]:
        replies = []
        async with TestClient(TestServer(web_application(config, **overrides))) as client:
            for request in requests:
                if callable(request):
                    await request()
                elif isinstance(request, str):
                    response = await client.get(request, allow_redirects=False)
                elif isinstance(request, Get):
                    response = await client.get(
                        request.path, headers=request.headers, allow_redirects=False
                    )
                else:
                    response = await client.post(
                        request.path, data=request.body, headers=request.headers
                    )
                replies.append((response.status, await _body(response)))
        return replies

    return await asyncio.create_task(serve(), context=contextvars.Context())


async def _body(response: ClientResponse) -> dict:
    """JSON as sent; a redirect or a page as its location and text, and what a 401 asks for."""
    if response.content_type == "application/json":
        return await response.json()
    if response.content_type.startswith("image/"):
        return {"type": response.content_type, "bytes": await response.read()}
    return {
        "location": response.headers.get("Location"),
        "text": await response.text(),
        "authenticate": response.headers.get("WWW-Authenticate"),
    }
