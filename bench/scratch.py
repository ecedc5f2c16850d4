"""A throwaway database for one benchmark run: a temp SQLite file, or a fresh PostgreSQL
database on the local server, dropped afterwards."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"


async def _postgres(statement: str) -> None:
    conn = await asyncpg.connect(f"{POSTGRES_SERVER}/postgres")
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@asynccontextmanager
async def scratch_database(db: str, name: str) -> AsyncIterator[str]:
    """Yields the DATABASE_URL of an empty database of kind `db` (sqlite or postgres)."""
    if db == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite://{Path(folder) / f'{name}.sqlite3'}"
        return
    await _postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await _postgres(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        await _postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
