"""The long-running processes: `run` (everything in one), `clock`, `web`, `discord`, `telegram`.

Each process is served by its own module (bots/clock_process.py, web_process.py,
discord_process.py, telegram_process.py), imported when its command runs: registering
the commands loads neither discord.py nor python-telegram-bot, so every other `dropcast`
command starts without them.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console

from bots.cli import err, new_event_loop, run_async, settings
from bots.database import require_migrated
from bots.reaching import port
from bots.sandbox import SandboxOptions
from bots.sandbox_cli import play
from config import Settings

out = Console(highlight=False)

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
    from bots.clock_process import serve_clock
    from bots.web_process import serve_web

    serving = [serve_clock(config), serve_web(config)]
    if "telegram" in config.platforms and not config.telegram_webhook:
        from bots.telegram_process import serve_telegram

        serving.append(serve_telegram(config))
    if "discord" in config.platforms:
        from bots.discord_process import serve_discord

        serving.append(serve_discord(config))
    await asyncio.gather(*serving)


def clock() -> None:
    """The one process that runs timed work: openings, closings, lapsing holds, reminders,
    campaigns, and the outbox that sends their DMs."""
    from bots.clock_process import serve_clock

    config = settings()
    run_async(require_migrated(config.database_url))
    run_async(serve_clock(config))


def web_() -> None:
    """HTTP on $PORT: webhooks (Stripe; Telegram with PUBLIC_BASE_URL), links, /healthz,
    /metrics (with METRICS_TOKEN)."""
    from aiohttp import web

    from bots.web_process import settle_garbage_collector, web_application

    config = settings()
    run_async(require_migrated(config.database_url))
    loop = new_event_loop()
    application = web_application(config)
    settle_garbage_collector()
    with port(config.port):
        web.run_app(application, port=config.port, print=None, loop=loop)


discord_app = typer.Typer(help="The Discord bot.", add_completion=False)


@discord_app.callback(invoke_without_command=True)
def discord(context: typer.Context) -> None:
    """The Discord bot (needs DISCORD_TOKEN): `dropcast discord` runs it."""
    if context.invoked_subcommand is not None:
        return
    from bots.discord_process import serve_discord

    config = settings()
    _needs(config, "discord")
    run_async(require_migrated(config.database_url))
    run_async(serve_discord(config))


@discord_app.command()
def sync() -> None:
    """Publish the slash commands to every server (Discord takes up to an hour to show
    them everywhere; a server that adds the bot gets them at once)."""
    from bots.discord_process import sync_commands

    config = settings()
    _needs(config, "discord")
    published = run_async(sync_commands(config))
    out.print(f"Published {published} commands globally.")


def telegram() -> None:
    """The Telegram bot (needs TELEGRAM_TOKEN), long polling. With PUBLIC_BASE_URL set,
    Telegram sends updates to `dropcast web` instead, and this has nothing to do."""
    from adapters.telegram.webhook import webhook_url
    from bots.telegram_process import serve_telegram

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


def _needs(config: Settings, name: str) -> None:
    if name not in config.platforms:
        err.print(f"dropcast: setting {name.upper()}_TOKEN is not set; nothing to start")
        raise typer.Exit(2)
