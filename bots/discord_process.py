"""`dropcast discord` and `dropcast discord sync` (see bots/processes.py)."""

from __future__ import annotations

import asyncio

from adapters.discord.client import DropcastDiscord
from bots.bootstrap import App, bootstrap
from bots.database import database
from bots.outbox import deliver_notices
from bots.reaching import reaching
from config import Settings


async def sync_commands(config: Settings) -> int:
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
