"""Where tests find their databases: a fresh SQLite file each, and a PostgreSQL server if one
answers. `DROPCAST_REQUIRE_POSTGRES=1` (set by .ci/run) turns "none answers" into a failure."""

from __future__ import annotations

import asyncio
import os

import asyncpg
import pytest

POSTGRES_SERVER = os.environ.get("DROPCAST_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432")
POSTGRES_DB = f"dropcast_test_{os.getpid()}"


def postgres_required() -> bool:
    return os.environ.get("DROPCAST_REQUIRE_POSTGRES") == "1"


async def _create_database() -> None:
    conn = await asyncpg.connect(f"{POSTGRES_SERVER}/postgres", timeout=3)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{POSTGRES_DB}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{POSTGRES_DB}"')
    finally:
        await conn.close()


async def _drop_database() -> None:
    conn = await asyncpg.connect(f"{POSTGRES_SERVER}/postgres", timeout=3)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{POSTGRES_DB}" WITH (FORCE)')
    finally:
        await conn.close()


def create_postgres() -> str | None:
    """A migrated database for this test run, or None when no server answers."""
    from bots.database import migrate

    try:
        asyncio.run(_create_database())
    except (OSError, asyncpg.PostgresError, TimeoutError) as err:
        if postgres_required():
            pytest.fail(f"PostgreSQL is required (DROPCAST_REQUIRE_POSTGRES=1) but: {err}")
        return None
    url = f"{POSTGRES_SERVER}/{POSTGRES_DB}"
    asyncio.run(migrate(url))
    return url


def drop_postgres() -> None:
    asyncio.run(_drop_database())


async def truncate_postgres(url: str) -> None:
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        names = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'tortoise_migrations'"
        )
        tables = ", ".join(f'"{row["tablename"]}"' for row in names)
        await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()
