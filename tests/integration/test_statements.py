"""Every hand-written statement (core/sql.py: each is a module-level constant) is checked
against both databases' migrated schemas, so a renamed column or table fails here rather
than in a drop: SQLite compiles it (`EXPLAIN`), PostgreSQL prepares it, which is where each
finds a missing column, a wrong table or a parameter whose type it cannot tell."""

from __future__ import annotations

import importlib
import pkgutil
import re
import string
from collections.abc import Iterator

import bots.demo
import core
from core import sql
from core.models import Fan

STATEMENT = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)
COLUMNS = re.compile(r'INSERT INTO "\w+" \(([^)]*)\)')


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple | list):
        for each in value:
            yield from _strings(each)
    elif isinstance(value, dict):
        for each in value.values():
            yield from _strings(each)


def statements() -> dict[str, str]:
    """Every module-level SQL constant of core/ and bots/demo/, by where it is."""
    found: dict[str, str] = {}
    for package in (core, bots.demo):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if module.name.startswith("core.migrations"):  # the schema itself
                continue
            loaded = importlib.import_module(module.name)
            for name, value in vars(loaded).items():
                texts = [text for text in _strings(value) if STATEMENT.match(text)]
                for n, text in enumerate(texts):
                    found[f"{module.name}.{name}" + (f"[{n}]" if len(texts) > 1 else "")] = text
    return found


def placeholders(statement: str) -> dict[str, object]:
    """A NULL for each named value; a row of NULLs, as wide as the insert, for `VALUES {x}`."""
    columns = COLUMNS.search(statement)
    width = len(columns.group(1).split(",")) if columns else 1
    values: dict[str, object] = {}
    for _, name, _, _ in string.Formatter().parse(statement):
        if name and name not in sql.DIALECT:
            rows = re.search(r"VALUES \{" + name + r"\}", statement)
            values[name] = [(None,) * width] if rows else None
    return values


ALL = statements()


def test_the_statements_are_found() -> None:
    # the hot paths' own: if these move, the collector above must follow them
    assert {"core.drops.stock._TAKE_UNIT", "core.inbox._CLAIM", "core.pace._TAKE"} <= set(ALL)


async def test_every_statement_fits_the_schema(db: str) -> None:
    refused = {}
    for where, statement in sorted(ALL.items()):
        try:
            await _check(statement)
        except Exception as error:
            refused[where] = f"{type(error).__name__}: {error}"
    assert refused == {}


async def _check(statement: str) -> None:
    connection = Fan._meta.db
    on_sqlite = sql.on_sqlite()
    text, bound = sql.prepared(statement, placeholders(statement), on_sqlite)
    if on_sqlite:
        await connection.execute_query(f"EXPLAIN {text}", bound)
        return
    async with connection.acquire_connection() as raw:
        await raw.prepare(text)
