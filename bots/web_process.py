"""`dropcast web`: webhooks, links, the dashboard and /metrics (see bots/processes.py)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import structlog
from aiohttp import web

from adapters.stripe.webhooks import StripeWebhooks
from adapters.telegram.app import telegram_application
from adapters.telegram.webhook import TelegramWebhook
from adapters.web.app import web_app
from adapters.web.dashboard import Dashboard
from adapters.web.drop_pages import DropPages
from adapters.web.metrics import Metrics
from adapters.web.scan_pages import ScanPages
from adapters.webhooks import NotConfigured, WebhookReceiver
from bots.bootstrap import App, bootstrap, weights
from bots.database import database
from bots.outbox import deliver_notices
from bots.reaching import port
from config import Settings
from core.drops.web_buyers import WebBuyers
from core.figures import figures
from core.inbox import Handler, Inbox

log = structlog.get_logger(__name__)
INBOX_GRACE_SECONDS = 20.0
GC_THRESHOLDS = (50_000, 20, 100)  # Python's defaults: 700, 10, 10


async def serve_web(config: Settings, *, stop: asyncio.Event | None = None) -> None:
    """`web` as one part of `run`."""
    stop = stop or asyncio.Event()
    runner = web.AppRunner(web_application(config))
    await runner.setup()
    try:
        with port(config.port):
            await web.TCPSite(runner, port=config.port).start()
        log.info("web_started", port=config.port)
        await stop.wait()
    finally:
        await runner.cleanup()


def web_application(config: Settings, **overrides: Any) -> web.Application:
    """The web app wired to the core, its database open for as long as it serves; with
    Telegram in webhook mode, the Telegram bot's updates are handled here too."""
    app = bootstrap(config, role="web", **overrides)
    metrics = Metrics(partial(figures, app.core.inbox, app.core.notices), app.core.notices.worker)
    telegram = _telegram_webhook(app, config)
    secret = config.stripe_webhook_secret
    stripe = StripeWebhooks(app.core, secret.get_secret_value()) if secret else None
    webhooks: dict[str, WebhookReceiver] = {
        "stripe": stripe or NotConfigured("STRIPE_WEBHOOK_SECRET"),
        "telegram": telegram or NotConfigured("TELEGRAM_TOKEN and PUBLIC_BASE_URL"),
    }
    handlers: dict[str, Handler] = {"stripe": stripe.handle} if stripe else {}
    if telegram:
        handlers["telegram"] = telegram.handle
    secure = str(config.public_base_url or "").startswith("https://")
    dashboard = Dashboard(app.core, weights(config), secure_cookie=secure)
    token = config.metrics_token.get_secret_value() if config.metrics_token else None
    scan_pages = ScanPages(app.core, config.creator_timezone, secure_cookie=secure)
    buyers = WebBuyers(app.core.clock, app.core.keyring, app.core.holds)
    base_url = app.core.short_links.base_url
    drop_pages = DropPages(
        app.core,
        buyers,
        app.messenger.drop_url,
        base_url,
        secure_cookie=secure,
        address_header=config.client_address_header,
    )
    pages = (dashboard, scan_pages, drop_pages)
    application = web_app(
        app.core.short_links, webhooks, metrics, token, pages, app.core.offer_taps.follow
    )

    async def lifespan(_: web.Application) -> AsyncIterator[None]:
        async with database(config.database_url):
            try:
                if telegram:  # before the inbox: its kept updates need the bot started
                    await telegram.start()
                inbox = asyncio.create_task(app.core.inbox.serve(handlers))
                stop = asyncio.Event()
                notices = asyncio.create_task(deliver_notices(app.core, "web", stop))
                await _read_key(app)
                taps = asyncio.create_task(app.core.offer_taps.batch.serve())
                try:
                    yield
                finally:
                    app.core.offer_taps.batch.stop()  # and written before the database closes
                    if telegram:
                        await telegram.stop()
                    await _finish_inbox(app.core.inbox, inbox)
                    stop.set()
                    await notices
                    await taps
            finally:  # a bot that never reached Telegram closes its connections too
                await app.close()

    application.cleanup_ctx.append(lifespan)
    return application


async def _finish_inbox(inbox: Inbox, serving: asyncio.Task[None]) -> None:
    """Handle what was accepted before stopping, for as long as a restart can wait; what is
    left is handled on the next start."""
    inbox.stop()
    try:
        await asyncio.wait_for(serving, INBOX_GRACE_SECONDS)
    except TimeoutError:
        log.warning("inbox_left_for_next_start", grace_seconds=INBOX_GRACE_SECONDS)


def settle_garbage_collector() -> None:
    """For a process that serves the web and nothing else, once its application is built:
    what startup made lives as long as the process, so frozen, full collections skip it,
    and every generation is collected less often. Under 200 connections each pause
    held every request in flight; this took p99 from 79 ms to 9 ms (bench/edge.py)."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


async def _read_key(app: App) -> None:
    """Read the signing key now, so a pay link's first tap waits for nothing; a database
    not answering yet is asked again at that tap (and /healthz says so meanwhile)."""
    try:
        await app.core.keyring.signer()
    except Exception as error:
        log.warning("signing_key_unread", error=type(error).__name__)


def _telegram_webhook(app: App, config: Settings) -> TelegramWebhook | None:
    if not config.telegram_webhook:
        return None
    assert app.telegram is not None
    application = telegram_application(app.telegram, app.core, config, polling=False)
    return TelegramWebhook(application, app.core.inbox, str(config.public_base_url))
