"""Connecting tortoise to `DATABASE_URL`, and applying the committed migrations.

SQLite gets WAL, a busy timeout and `synchronous=NORMAL`, so several processes can share a
file; PostgreSQL gets a connection pool sized for concurrent reservers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate as run_migrations

SQLITE_BUSY_TIMEOUT_MS = 10_000
POSTGRES_POOL_SIZE = 20


def tortoise_config(database_url: str, *, pool_size: int = POSTGRES_POOL_SIZE) -> dict[str, Any]:
    connection = expand_db_url(database_url)
    credentials = connection["credentials"]
    sqlite = connection["engine"] == "tortoise.backends.sqlite"
    # tortoise caches built SQL per connection name: one name per dialect keeps them apart
    name = "sqlite" if sqlite else "postgres"
    if sqlite:
        path = Path(credentials["file_path"])
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        credentials.update(
            journal_mode="WAL", busy_timeout=SQLITE_BUSY_TIMEOUT_MS, synchronous="NORMAL"
        )
    else:
        credentials.setdefault("minsize", 1)
        credentials.setdefault("maxsize", pool_size)
    return {
        "connections": {name: connection},
        "apps": {
            "models": {
                "models": ["core.models"],
                "migrations": "core.migrations",
                "default_connection": name,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def migrate(database_url: str) -> None:
    """Bring the schema up to date; applying it twice is a no-op."""
    await run_migrations(config=tortoise_config(database_url))
    await connections.close_all()


@asynccontextmanager
async def database(database_url: str, **options: Any) -> AsyncIterator[None]:
    await Tortoise.init(config=tortoise_config(database_url, **options))
    try:
        yield
    finally:
        await connections.close_all()


def describe(database_url: str) -> str:
    """The database for humans: engine and place, never the password."""
    connection = expand_db_url(database_url)
    credentials = connection["credentials"]
    if "file_path" in credentials:
        return f"SQLite at {credentials['file_path']}"
    host, port, name = (credentials.get(key) for key in ("host", "port", "database"))
    return f"PostgreSQL {host}:{port}/{name}"
