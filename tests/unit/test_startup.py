"""A `dropcast` command that talks to no platform starts without loading discord.py or
python-telegram-bot (about a third of a second each time): each platform's libraries load
only where its token is set or its process runs (bots/platforms.py, bots/processes.py)."""

from __future__ import annotations

import subprocess
import sys

LOADED = """
import sys
from bots.bootstrap import bootstrap
from bots.cli import root_command
from config import load_settings

root_command()  # every command registered, as `dropcast drop list` does
bootstrap(load_settings(database_url="sqlite://:memory:"{token}))
print(" ".join(name for name in ("discord", "telegram") if name in sys.modules))
"""


def loaded(token: str = "") -> str:
    done = subprocess.run(
        [sys.executable, "-c", LOADED.format(token=token)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def test_a_command_without_platform_tokens_loads_neither_platform_library():
    assert loaded() == ""


def test_a_telegram_token_loads_telegram_only():
    assert loaded(', telegram_token="123456:abcdefghijklmnopqrstuvwxyz0123456789"') == "telegram"
