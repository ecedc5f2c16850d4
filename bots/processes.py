"""The long-running processes: `run` (everything in one), `clock`, `web`, `discord`, `telegram`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Annotated, Any

import structlog
import typer
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from rich.console import Console
from telegram.ext import ExtBot

from adapters.discord.client import DropcastDiscord
from adapters.stripe.webhooks import StripeWebhooks
from adapters.telegram.app import COMMANDS, telegram_application
from adapters.telegram.stars import StarsLedger
from adapters.telegram.webhook import TelegramWebhook, webhook_url
from adapters.web.app import web_app
from adapters.web.dashboard import Dashboard
from adapters.web.metrics import Metrics
from adapters.web.webhooks import NotConfigured, WebhookReceiver
from bots.bootstrap import App, bootstrap, weights
from bots.cli import err, new_event_loop, run_async, settings
from bots.database import database, describe, require_migrated
from bots.outbox import deliver_notices, paces, send_outbox
from bots.reaching import port, reaching
from bots.sandbox import SandboxOptions
from bots.sandbox_cli import play
from config import Settings
from core.app import Core
from core.figures import figures
from core.inbox import Handler, Inbox
from core.ports import Clock

log = structlog.get_logger(__name__)
out = Console(highlight=False)
TICK_SECONDS = 1.0
COUNTDOWN_SECONDS = 60.0
PERK_SWEEP_SECONDS = 300.0
PRUNE_SECONDS = 3600.0
STARS_RECONCILE_SECONDS = 600.0
INBOX_GRACE_SECONDS = 20.0

NO_PLATFORM = (
    "No platform connected: set DISCORD_TOKEN and/or TELEGRAM_TOKEN to run the real bots "
    "(README: Connect Discord / Connect Telegram). Running the offline sandbox instead."
)


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(clock)
    app.command(name="web")(web_)
    app.add_typer(discord_app, name="discord")
    app.command()(telegram)


def run(
    seed: Annotated[int, typer.Option(help="Sandbox seed, when no platform is set.")] = 7,
) -> None:
    """Start every configured platform in one process, or the sandbox when none is set."""
    config = settings()
    if not config.platforms:
        out.print(NO_PLATFORM)
        play(config, SandboxOptions(seed=seed))
        return
    run_async(require_migrated(config.database_url))
    run_async(_run_all(config))


async def _run_all(config: Settings) -> None:
    """Each part in its own task, and so its own database context, as if its own process."""
    serving = [serve_clock(config), serve_web(config)]
    if "telegram" in config.platforms and not config.telegram_webhook:
        serving.append(serve_telegram(config))
    if "discord" in config.platforms:
        serving.append(serve_discord(config))
    await asyncio.gather(*serving)


def clock() -> None:
    """The one process that runs timed work: openings, closings, lapsing holds, reminders,
    campaigns, and the outbox that sends their DMs."""
    config = settings()
    run_async(require_migrated(config.database_url))
    run_async(serve_clock(config))


async def serve_clock(
    config: Settings,
    *,
    stop: asyncio.Event | None = None,
    clock: Clock | None = None,
    every: float = TICK_SECONDS,
) -> None:
    """Tick the core until stopped; every tick is derived from the database, so a restart
    or a second clock loses or doubles nothing."""
    stop = stop or asyncio.Event()
    async with database(config.database_url):
        app = bootstrap(config, clock=clock, role="clock")
        scheduler = AsyncIOScheduler(timezone="UTC")
        for job, seconds in clock_jobs(app.core, every, app.telegram):
            scheduler.add_job(
                _logged, "interval", seconds=seconds, args=[job], max_instances=1, coalesce=True
            )
        scheduler.start()
        senders = [
            asyncio.create_task(send_outbox(app.core, platform, pace, stop, idle=every))
            for platform, pace in paces(config).items()
        ]
        senders.append(asyncio.create_task(deliver_notices(app.core, "clock", stop, idle=every)))
        log.info("clock_started", database=describe(config.database_url))
        try:
            await stop.wait()
        finally:
            scheduler.shutdown(wait=False)
            await asyncio.gather(*senders)
            await app.close()


def clock_jobs(
    core: Core, every: float = TICK_SECONDS, telegram: ExtBot[Any] | None = None
) -> tuple[tuple[Callable[[], Awaitable[object]], float], ...]:
    """What the clock runs, and how often: the tick; countdown posts moving on (an adapter
    edits a post only when its text changed); what automatic campaigns owe; perk changes a
    platform refused earlier, or a stopped process left, retried; delivered notices pruned;
    with Telegram, Stars payments whose update never reached the bot made orders."""
    jobs = ((core.tick, every), (core.drops.refresh_countdowns, COUNTDOWN_SECONDS),
            (core.live.refresh_countdowns, COUNTDOWN_SECONDS),
            (core.campaigns.queue_automatic, COUNTDOWN_SECONDS),
            (core.perks.sweep, PERK_SWEEP_SECONDS),
            (core.notices.prune, PRUNE_SECONDS))  # fmt: skip
    if telegram is None:
        return jobs
    stars = StarsLedger(telegram, core.payments, core.clock)
    return (*jobs, (stars.reconcile, STARS_RECONCILE_SECONDS))


async def _logged(job: Callable[[], Awaitable[object]]) -> None:
    """A failed run is logged, and the next run tries again."""
    try:
        await job()
    except Exception:
        log.exception("clock_job_failed", job=job.__qualname__)


def web_() -> None:
    """HTTP on $PORT: webhooks (Stripe; Telegram with PUBLIC_BASE_URL), links, /healthz,
    /metrics (with METRICS_TOKEN)."""
    config = settings()
    run_async(require_migrated(config.database_url))
    loop = new_event_loop()
    with port(config.port):
        web.run_app(web_application(config), port=config.port, print=None, loop=loop)


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
    application = web_app(app.core.links, webhooks, metrics, dashboard, token)

    async def lifespan(_: web.Application) -> AsyncIterator[None]:
        async with database(config.database_url):
            if telegram:  # before the inbox: its kept updates need the bot started
                await telegram.start()
            inbox = asyncio.create_task(app.core.inbox.serve(handlers))
            stop = asyncio.Event()
            notices = asyncio.create_task(deliver_notices(app.core, "web", stop))
            try:
                yield
            finally:
                if telegram:
                    await telegram.stop()
                await _finish_inbox(app.core.inbox, inbox)
                stop.set()
                await notices
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


def _telegram_webhook(app: App, config: Settings) -> TelegramWebhook | None:
    if not config.telegram_webhook:
        return None
    assert app.telegram is not None
    application = telegram_application(app.telegram, app.core, config, polling=False)
    return TelegramWebhook(application, app.core.inbox, str(config.public_base_url))


discord_app = typer.Typer(help="The Discord bot.", add_completion=False)


@discord_app.callback(invoke_without_command=True)
def discord(context: typer.Context) -> None:
    """The Discord bot (needs DISCORD_TOKEN): `dropcast discord` runs it."""
    if context.invoked_subcommand is not None:
        return
    config = settings()
    _needs(config, "discord")
    run_async(require_migrated(config.database_url))
    run_async(serve_discord(config))


@discord_app.command()
def sync() -> None:
    """Publish the slash commands to every server (Discord takes up to an hour to show
    them everywhere; a server that adds the bot gets them at once)."""
    config = settings()
    _needs(config, "discord")
    published = run_async(_sync_commands(config))
    out.print(f"Published {published} commands globally.")


async def _sync_commands(config: Settings) -> int:
    async with database(config.database_url):
        app, client, token = _discord_app(config)
        try:
            with reaching("Discord"):
                await client.login(token)
                return len(await client.tree.sync())
        finally:
            await app.close()


def _discord_app(config: Settings) -> tuple[App, DropcastDiscord, str]:
    app = bootstrap(config, role="discord")
    assert app.discord is not None
    assert config.discord_token is not None
    return app, app.discord, config.discord_token.get_secret_value()


async def serve_discord(config: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Connect to Discord's gateway and handle interactions until stopped."""
    stop = stop or asyncio.Event()
    async with database(config.database_url):
        app, client, token = _discord_app(config)
        running = asyncio.create_task(client.start(token))
        stopping = asyncio.create_task(stop.wait())
        alive = asyncio.create_task(deliver_notices(app.core, "discord", stop, drain=False))
        try:
            await asyncio.wait((running, stopping), return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            stop.set()
            await alive
            await app.close()
        with reaching("Discord"):
            await running  # a login refused, or a gateway that gave up, ends the process


def telegram() -> None:
    """The Telegram bot (needs TELEGRAM_TOKEN), long polling. With PUBLIC_BASE_URL set,
    Telegram sends updates to `dropcast web` instead, and this has nothing to do."""
    config = settings()
    _needs(config, "telegram")
    if config.telegram_webhook:
        err.print(
            "dropcast: PUBLIC_BASE_URL is set, so Telegram sends updates to "
            f"{webhook_url(str(config.public_base_url))} and `dropcast web` handles them. "
            "Run that instead (or unset PUBLIC_BASE_URL to long-poll)."
        )
        raise typer.Exit(2)
    run_async(require_migrated(config.database_url))
    run_async(serve_telegram(config))


async def serve_telegram(config: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Poll Telegram for updates and handle them until stopped."""
    stop = stop or asyncio.Event()
    async with database(config.database_url):
        app = bootstrap(config, role="telegram")
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
            alive = asyncio.create_task(deliver_notices(app.core, "telegram", stop, drain=False))
            try:
                await stop.wait()
            finally:
                stop.set()
                await alive
                await application.updater.stop()
                await application.stop()
        await app.close()


def _needs(config: Settings, name: str) -> None:
    if name not in config.platforms:
        err.print(f"dropcast: setting {name.upper()}_TOKEN is not set; nothing to start")
        raise typer.Exit(2)
