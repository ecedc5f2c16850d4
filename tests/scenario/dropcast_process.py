"""`dropcast ARGS` as a creator runs it from their shell: a real process in the test's
folder, on the SQLite file there unless DATABASE_URL says otherwise."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

DROPCAST = str(Path(sys.executable).parent / "dropcast")
SECRET = "123456:telegram-secret-token-value"  # a TELEGRAM_TOKEN that must never be shown
CLI_DATABASE = "cli.sqlite3"  # in the test's folder, unless DATABASE_URL says otherwise


def dropcast(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # only what a creator's shell would have: no tokens, nothing tortoise put in os.environ
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH")
    clean = {k: v for k, v in os.environ.items() if k in keep}
    clean |= {"DATABASE_URL": f"sqlite://{tmp_path / CLI_DATABASE}", "COLUMNS": "200"} | env
    return subprocess.run(
        [DROPCAST, *args], cwd=tmp_path, env=clean, capture_output=True, text=True, timeout=120
    )


async def dropcast_on(world: Any, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`dropcast ARGS` as a process on the test world's database, off the event loop."""
    url = world.app.settings.database_url
    return await asyncio.to_thread(dropcast, tmp_path, *args, DATABASE_URL=url)
