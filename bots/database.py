"""Connecting tortoise to `DATABASE_URL`, and applying the committed migrations.

SQLite gets WAL, a busy timeout and `synchronous=NORMAL`, so several processes can share a
file; PostgreSQL gets a connection pool sized for concurrent reservers.

Only `dropcast migrate` changes the schema. Every other command first checks that the
database answers and has every migration (`require_migrated`), so a mistyped DATABASE_URL
cannot bring a new, empty database into being, and a deploy that skipped its release step
says so before doing anything.
"""

from __future__ import annotations

import asyncio
import fcntl
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import Any

import asyncpg
from tortoise import Tortoise, connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.exceptions import DBConnectionError, OperationalError
from tortoise.migrations.api import migrate as run_migrations
from tortoise.migrations.executor import MigrationExecutor

SQLITE_BUSY_TIMEOUT_MS = 10_000
POSTGRES_POOL_SIZE = 20
MIGRATE_LOCK_KEY = 0x64726F70  # "drop": the PostgreSQL advisory lock `migrate` holds
# whatever `SELECT 1` raises means the database cannot be used: not answering, refusing
# the login, no such database, a file that cannot be opened or is not a database
UNUSABLE = (
    OSError,
    DBConnectionError,
    OperationalError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    sqlite3.Error,
)


class DatabaseUnavailable(Exception):
    """The database cannot serve a command as it is; `str()` is one line naming it (never
    its password) and what to do about it."""


def tortoise_config(database_url: str, *, pool_size: int = POSTGRES_POOL_SIZE) -> dict[str, Any]:
    connection = expand_db_url(database_url)
    credentials = connection["credentials"]
    name = _connection_name(database_url)
    if name == "sqlite":
        credentials.update(
            journal_mode="WAL", busy_timeout=SQLITE_BUSY_TIMEOUT_MS, synchronous="NORMAL"
        )
    else:
        credentials.setdefault("minsize", 1)
        credentials.setdefault("maxsize", pool_size)
        credentials["reset"] = _nothing_to_reset
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


async def _nothing_to_reset(_: asyncpg.Connection) -> None:
    """A statement's connection goes back to the pool without asyncpg's reset query, a
    round trip after every statement run outside a transaction: Dropcast leaves no session
    state behind (its SETs and locks are the transaction's own, and `migrate`'s lock is on
    a connection of its own). An open transaction is still rolled back (asyncpg does that
    before calling this)."""


def _connection_name(database_url: str) -> str:
    # tortoise caches built SQL per connection name: one name per dialect keeps them apart
    sqlite = expand_db_url(database_url)["engine"] == "tortoise.backends.sqlite"
    return "sqlite" if sqlite else "postgres"


def _sqlite_file(database_url: str) -> Path | None:
    """The SQLite database's file (None for PostgreSQL and for an in-memory database)."""
    path = expand_db_url(database_url)["credentials"].get("file_path")
    return None if path is None or path == ":memory:" else Path(path)


async def migrate(database_url: str) -> None:
    """Bring the schema up to date; applying it twice is a no-op."""
    file = _sqlite_file(database_url)
    try:
        if file is not None:
            file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _unusable(database_url, error) from None
    async with migration_lock(database_url):
        async with database(database_url):  # inside the lock: two first connections to a
            await _answering(database_url)  # new SQLite file race to switch it to WAL
        await run_migrations(config=tortoise_config(database_url))
        await connections.close_all()


@asynccontextmanager
async def migration_lock(database_url: str) -> AsyncIterator[None]:
    """Held while migrations run, so two deploys' `dropcast migrate` apply each migration
    once: tortoise reads which are applied, then applies the rest, and nothing in between
    stops a second run from doing the same.

    PostgreSQL: a session advisory lock on a connection of its own (tortoise's pool may run
    the migrations on any of its connections); the server drops it if the process dies.
    SQLite: an exclusive `flock` on a file beside the database. `BEGIN IMMEDIATE` would not
    do: held on a connection of its own, it would lock out tortoise's connection too, which
    does the migrating, and tortoise cannot be made to migrate on the locking connection.
    The kernel drops the `flock` when the process dies; it is waited for in a thread, so
    the event loop (and a second run in the same process) goes on meanwhile."""
    if _connection_name(database_url) == "postgres":
        credentials = expand_db_url(database_url)["credentials"]
        keys = ("host", "port", "user", "password", "database", "ssl")
        try:
            connection = await asyncpg.connect(
                **{key: credentials[key] for key in keys if key in credentials}
            )
        except UNUSABLE as error:
            raise _unusable(database_url, error) from None
        try:
            await connection.execute("SELECT pg_advisory_lock($1)", MIGRATE_LOCK_KEY)
            yield
        finally:
            await connection.close()  # ends the session, and the lock with it
        return
    file = _sqlite_file(database_url)
    if file is None:  # an in-memory database: no other process can see it
        yield
        return
    with file.with_name(f"{file.name}.migrate-lock").open("a") as lock:
        await asyncio.to_thread(fcntl.flock, lock, fcntl.LOCK_EX)
        yield  # closing the file releases the lock


async def require_migrated(database_url: str) -> None:
    """Refuse, with `DatabaseUnavailable`, a database that does not answer or lacks
    migrations, creating nothing: the pending ones are found as `migrate` finds them
    (tortoise's executor, from the `tortoise_migrations` table)."""
    file = _sqlite_file(database_url)
    if file is not None and not file.exists():  # connecting would create it
        raise _not_migrated(database_url, "is not set up")
    async with database(database_url):
        connection = await _answering(database_url)
        executor = MigrationExecutor(connection, tortoise_config(database_url)["apps"])
        pending = len(await executor.plan())
        applied = executor.loader.applied_migrations
    if pending:
        behind = f"has {pending} migration{'s' if pending > 1 else ''} not applied yet"
        raise _not_migrated(database_url, behind if applied else "is not set up")


def _not_migrated(database_url: str, state: str) -> DatabaseUnavailable:
    return DatabaseUnavailable(
        f"the database ({describe(database_url)}) {state}: run `dropcast migrate` first"
    )


async def _answering(database_url: str) -> BaseDBAsyncClient:
    """The open database's connection, once it has answered (tortoise connects lazily)."""
    connection: BaseDBAsyncClient = connections.get(_connection_name(database_url))
    try:
        file = _sqlite_file(database_url)
        if file is not None:
            _open_sqlite(file)
        await connection.execute_query("SELECT 1")
    except UNUSABLE as error:
        raise _unusable(database_url, error) from None
    except TypeError as error:  # asyncpg takes each ?name=value of the URL as an argument
        option = str(error).rpartition(" ")[2]
        raise DatabaseUnavailable(
            f"DATABASE_URL has an option the database driver does not take: {option}; "
            "remove it from the ?… part"
        ) from None
    return connection


def _open_sqlite(file: Path) -> None:
    """Open the file with the sqlite3 module first: when aiosqlite cannot open one, its
    worker thread later calls into the command's closed event loop and prints a traceback."""
    with closing(sqlite3.connect(file)) as connection:
        connection.execute("PRAGMA schema_version")  # reads the header: is it a database?


def _unusable(database_url: str, error: BaseException) -> DatabaseUnavailable:
    """What went wrong in the driver's words (tortoise wraps "no such database" around
    asyncpg's own message), with the password taken out, and what to check."""
    reason = str(error.__cause__ or error)
    password = expand_db_url(database_url)["credentials"].get("password")
    if password:
        reason = reason.replace(str(password), "***")
    check = (
        "check that DATABASE_URL names a SQLite file, or a place for one, that dropcast may "
        "read and write"
        if _connection_name(database_url) == "sqlite"
        else "check that PostgreSQL runs there and that DATABASE_URL's user, password and "
        "database name are right"
    )
    return DatabaseUnavailable(
        f"cannot open the database ({describe(database_url)}): {reason}; {check}"
    )


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
