"""Two deploys' release steps run `dropcast migrate` at once: each migration is applied once
and both succeed (bots/database.py `migration_lock`), on SQLite and on PostgreSQL.

Real `dropcast migrate` processes, since the lock is between processes. Without the lock
the first test fails (one run stops on "table … already exists"); the second shows the
waiting itself: it holds the lock while both start, sees both wait, and lets them go.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from bots.database import MIGRATE_LOCK_KEY, migration_lock
from tests import databases
from tests.eventually import eventually

DROPCAST = Path(sys.executable).with_name("dropcast")
MIGRATIONS = sorted(
    path.stem for path in Path("core/migrations").glob("0*.py")
)  # one row each in tortoise_migrations
WAIT = 30  # seconds: far longer than a migrate takes, only reached when something is wrong


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database with nothing in it yet."""
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'dropcast.sqlite3'}"
        return
    name = f"dropcast_lock_{os.getpid()}"
    try:
        url = await databases.create_database(name)
    except (OSError, asyncpg.PostgresError, TimeoutError) as err:
        if databases.postgres_required():
            pytest.fail(f"PostgreSQL is required (DROPCAST_REQUIRE_POSTGRES=1) but: {err}")
        pytest.skip("no PostgreSQL server answers on 127.0.0.1:5432")
    yield url
    await databases.drop_database(name)


async def start_migrate(url: str, cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        DROPCAST,
        "migrate",
        cwd=cwd,
        env={**os.environ, "DATABASE_URL": url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def succeeded(process: asyncio.subprocess.Process) -> bool | str:
    """True, or what the run printed when it did not succeed."""
    output, _ = await asyncio.wait_for(process.communicate(), WAIT)
    text = output.decode()
    return (process.returncode == 0 and text.startswith("database migrated: ")) or text


async def applied(url: str) -> list[str]:
    """The rows of tortoise_migrations, duplicates included, sorted."""
    if url.startswith("sqlite://"):
        with sqlite3.connect(url.removeprefix("sqlite://")) as connection:
            rows = connection.execute("SELECT name FROM tortoise_migrations").fetchall()
        return sorted(name for (name,) in rows)
    connection = await asyncpg.connect(url)
    try:
        return sorted(
            row["name"] for row in await connection.fetch("SELECT name FROM tortoise_migrations")
        )
    finally:
        await connection.close()


async def waiting_for_lock(url: str) -> int:
    """How many processes wait for the migrate lock, in PostgreSQL's view of its locks."""
    connection = await asyncpg.connect(url)
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND objid = $1 AND database = (SELECT oid FROM pg_database"
            " WHERE datname = current_database())",
            MIGRATE_LOCK_KEY,
        )
        return count
    finally:
        await connection.close()


def waiting_for_file_lock(url: str) -> int:
    """How many processes wait for the SQLite migrate lock: a waiter's line in Linux's
    /proc/locks reads `->`, and names the file by device and inode."""
    lock = Path(f"{url.removeprefix('sqlite://')}.migrate-lock")
    inode = f":{lock.stat().st_ino} "
    lines = Path("/proc/locks").read_text().splitlines()
    return sum(" -> " in line and inode in line for line in lines)


async def until_both_wait(url: str) -> None:
    async def both_wait() -> bool:
        if url.startswith("sqlite://"):
            return await asyncio.to_thread(waiting_for_file_lock, url) == 2
        return await waiting_for_lock(url) == 2

    await eventually(both_wait, seconds=WAIT, what="both migrate processes to wait for the lock")


async def test_two_migrates_at_once_apply_each_migration_once(fresh_url, tmp_path):
    processes = [await start_migrate(fresh_url, tmp_path) for _ in range(2)]
    assert [await succeeded(process) for process in processes] == [True, True]
    assert await applied(fresh_url) == MIGRATIONS


async def test_a_second_migrate_waits_for_the_first(fresh_url, tmp_path):
    async with migration_lock(fresh_url):
        processes = [await start_migrate(fresh_url, tmp_path) for _ in range(2)]
        await until_both_wait(fresh_url)
        assert all(process.returncode is None for process in processes)
    assert [await succeeded(process) for process in processes] == [True, True]
    assert await applied(fresh_url) == MIGRATIONS
