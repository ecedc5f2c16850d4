"""What a process says when the world around it is not there: a platform that does not
answer or refuses its token, a port already taken. One line and exit 2, like a wrong
setting (bots/cli.py), instead of a library's traceback."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp

from bots.cli import CANNOT_RUN, fail


@contextmanager
def reaching(platform: str) -> Iterator[None]:
    """Discord or Telegram, as a process starts talking to it (their libraries load here,
    not when a command that never talks to them starts)."""
    import discord
    import telegram.error

    try:
        yield
    except discord.LoginFailure:
        fail("Discord refused DISCORD_TOKEN: copy a new one from the Developer Portal "
             "(Bot → Reset Token)", CANNOT_RUN)  # fmt: skip
    except telegram.error.InvalidToken:
        fail("Telegram refused TELEGRAM_TOKEN: copy it again from @BotFather (/token)", CANNOT_RUN)
    except (aiohttp.ClientConnectionError, telegram.error.NetworkError, TimeoutError) as error:
        setting = f"{platform.upper()}_API_BASE_URL"
        fail(f"cannot reach {platform} ({type(error).__name__}): check the network, and "
             f"{setting} if you set it", CANNOT_RUN)  # fmt: skip


@contextmanager
def port(number: int) -> Iterator[None]:
    """The web process's port."""
    try:
        yield
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        fail(f"port {number} is in use: stop what listens there, or set PORT to a free one",
             CANNOT_RUN)  # fmt: skip
