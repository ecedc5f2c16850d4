"""Where tests find their databases: a fresh SQLite file each, and a PostgreSQL server if one
answers. `DROPCAST_REQUIRE_POSTGRES=1` (set by .ci/run) turns "none answers" into a failure.
The benchmarks take their throwaway databases from here too (`scratch_database`), so this
module imports pytest only where a test needs it."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

POSTGRES_SERVER = os.environ.get("DROPCAST_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432")
POSTGRES_DB = f"dropcast_test_{os.getpid()}"
_migrated_sqlite: list[bytes] = []


def postgres_required() -> bool:
    return os.environ.get("DROPCAST_REQUIRE_POSTGRES") == "1"


async def create_database(name: str = POSTGRES_DB) -> str:
    """A new, empty database on the server (dropped first if a run left one behind)."""
    conn = await asyncpg.connect(f"{POSTGRES_SERVER}/postgres", timeout=3)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{POSTGRES_SERVER}/{name}"


async def drop_database(name: str = POSTGRES_DB) -> None:
    conn = await asyncpg.connect(f"{POSTGRES_SERVER}/postgres", timeout=3)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def create_postgres() -> str | None:
    """A migrated database for this test run, or None when no server answers."""
    import pytest

    from bots.database import migrate

    try:
        url = asyncio.run(create_database())
    except (OSError, asyncpg.PostgresError, TimeoutError) as err:
        if postgres_required():
            pytest.fail(f"PostgreSQL is required (DROPCAST_REQUIRE_POSTGRES=1) but: {err}")
        return None
    asyncio.run(migrate(url))
    return url


@asynccontextmanager
async def scratch_database(db: str, name: str) -> AsyncIterator[str]:
    """A throwaway database for one benchmark run: yields the DATABASE_URL of an empty one
    of kind `db` (sqlite or postgres), a temp SQLite file or a fresh database named `name`
    on the server, dropped afterwards."""
    if db == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite://{Path(folder) / f'{name}.sqlite3'}"
        return
    url = await create_database(name)
    try:
        yield url
    finally:
        await drop_database(name)


def drop_postgres() -> None:
    asyncio.run(drop_database())


def migrated_sqlite(path: Path) -> str:
    """A migrated SQLite database at `path`: a copy of one migrated once per test run."""
    from bots.database import migrate

    if not _migrated_sqlite:
        template = path.with_name("template.sqlite3")
        asyncio.run(migrate(f"sqlite://{template}"))
        _migrated_sqlite.append(template.read_bytes())
    path.write_bytes(_migrated_sqlite[0])
    return f"sqlite://{path}"


_SEQUENCES = (
    "SELECT setval(c.oid::regclass, 1, false) FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind = 'S' AND n.nspname = 'public'"
)


async def truncate_postgres(url: str) -> None:
    """Empty every table and start ids at 1 again, as a fresh database would. DELETE with
    the foreign-key triggers off, not TRUNCATE: a test leaves a few rows in a few of the
    schema's fifty tables, and TRUNCATE pays for every table (a quarter of a second each
    test, where this takes two milliseconds)."""
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        names = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'tortoise_migrations'"
        )
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute("; ".join(f'DELETE FROM "{row["tablename"]}"' for row in names))
            await conn.execute(_SEQUENCES)
    finally:
        await conn.close()
