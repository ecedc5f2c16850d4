"""The aiohttp application the `web` process serves; `bots` wires its lifetime."""

from __future__ import annotations

import hmac
import html
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Protocol

from aiohttp import web

from adapters import qr
from adapters.web.metrics import Metrics
from adapters.webhooks import WebhookReceiver
from core.errors import DropcastError, ProviderUnreachable
from core.health import database_answers
from core.short_links import ShortLinks

IMAGE_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
NO_SUCH_LINK = "<!doctype html><title>Link not found</title><p>This link does not exist.</p>"
LINK_REFUSED = "<!doctype html><title>Link no longer works</title><p>{}.</p>"
LINK_LATER = "<!doctype html><title>Try again</title><p>Please try again in a minute.</p>"
METRICS_OFF = "Metrics are off until METRICS_TOKEN is set.\n"
METRICS_TOKEN_NEEDED = "Send the METRICS_TOKEN as Authorization: Bearer <token>.\n"


class Pages(Protocol):
    """A part of the site with its own routes (the dashboard, drop pages, the scan page)."""

    def add_routes(self, app: web.Application) -> None: ...


def web_app(
    links: ShortLinks,
    webhooks: Mapping[str, WebhookReceiver],
    metrics: Metrics,
    metrics_token: str | None,
    pages: Sequence[Pages] = (),
    follow: Callable[[str], Awaitable[str | None]] | None = None,
) -> web.Application:
    """`webhooks` names each provider's receiver, served at `/webhooks/{provider}`.
    `/metrics` is off without `metrics_token`: its figures are the creator's business.
    `follow` counts a `/l/` tap and says where it leads now (core/memberships/join_links.py:
    a fan's join link makes its Checkout page at tap time); `links.follow` without it."""

    async def healthz(_: web.Request) -> web.Response:
        if await database_answers():
            return web.json_response({"ok": True})
        return web.json_response({"ok": False, "database": "not answering"}, status=503)

    async def webhook(request: web.Request) -> web.Response:
        provider = request.match_info["provider"]
        receiver = webhooks.get(provider)
        if receiver is None:
            return web.json_response({"error": "no such webhook"}, status=404)
        began = time.perf_counter()
        reply = await receiver.receive(await request.read(), request.headers)
        outcome = reply.body.get("outcome", "")
        metrics.webhook(provider, reply.status, outcome, time.perf_counter() - began)
        return web.json_response(reply.body, status=reply.status)

    async def prometheus(request: web.Request) -> web.Response:
        if metrics_token is None:
            return web.Response(text=METRICS_OFF, status=403)
        if not _bearer(request.headers.get("Authorization", ""), metrics_token):
            headers = {"WWW-Authenticate": "Bearer"}
            return web.Response(text=METRICS_TOKEN_NEEDED, status=401, headers=headers)
        return web.Response(body=await metrics.render(), content_type="text/plain", charset="utf-8")

    async def qr_code(request: web.Request) -> web.Response:
        """The link as a QR code, for the screen or the stream: showing it counts no tap."""
        url = await links.url_of(request.match_info["code"])
        if url is None:
            return web.Response(text=NO_SUCH_LINK, status=404, content_type="text/html")
        kind = request.match_info["kind"]
        body = qr.image(url, kind)
        return web.Response(body=body, content_type=IMAGE_TYPES[kind])

    async def short_link(request: web.Request) -> web.Response:
        try:
            target = await (follow or links.follow)(request.match_info["code"])
        except DropcastError as refusal:
            page = LINK_REFUSED.format(html.escape(f"{str(refusal)[:1].upper()}{str(refusal)[1:]}"))
            return web.Response(text=page, status=410, content_type="text/html")
        except ProviderUnreachable:  # a join link's Checkout page could not be made just now
            return web.Response(text=LINK_LATER, status=503, content_type="text/html")
        if target is None:
            return web.Response(text=NO_SUCH_LINK, status=404, content_type="text/html")
        # returned, not raised: aiohttp's raised HTTPFound costs a tap 60 µs (bench/edge.py)
        return web.Response(status=302, headers={"Location": target})

    app = web.Application(client_max_size=256 * 1024)
    app.router.add_get("/l/{code:[A-Za-z0-9_-]{1,16}}.{kind:png|svg}", qr_code)
    app.router.add_get("/l/{code}", short_link)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", prometheus)
    app.router.add_post("/webhooks/{provider}", webhook)
    for part in pages:
        part.add_routes(app)
    return app


def _bearer(authorization: str, token: str) -> bool:
    """Whether `Authorization: Bearer <token>` carries the token, compared in constant time
    (as bytes: a header may hold what is not ASCII, which `compare_digest` refuses as str)."""
    scheme, _, given = authorization.partition(" ")
    same = hmac.compare_digest(
        given.strip().encode("utf-8", "surrogatepass"), token.encode("utf-8", "surrogatepass")
    )
    return scheme.lower() == "bearer" and same
