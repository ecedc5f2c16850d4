"""Hand-written statements for the hot paths, where the ORM's query building would cost ten
times the statement (bench/drop_burst.py, bench/webhooks.py).

A statement names its values, `{fan_id}`, and is given them by name: `rows(_FIND,
fan_id=7)`. Each name becomes the dialect's placeholder where it stands (SQLite's are
positional, PostgreSQL's numbered), so the order of the values never matters. A list or tuple
stands for several values, `IN ({ids})`; a list of tuples for several rows, `VALUES {rows}`.
The few words the two dialects spell differently are upper-case names (`DIALECT`), written
into the statement as text. Every statement is a module-level constant, so one test runs them
all against both databases' schemas (tests/integration/test_statements.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.models import Fan

# the words PostgreSQL and SQLite spell differently: (PostgreSQL's, SQLite's). SQLite has one
# writer at a time, so it needs no row locks
DIALECT = {
    "GREATEST": ("GREATEST", "MAX"),
    "LEAST": ("LEAST", "MIN"),
    "SKIP_LOCKED": (" FOR UPDATE SKIP LOCKED", ""),
    "FOR_UPDATE": (" FOR UPDATE", ""),
    # a timestamp as a number of days, to compare spans: `{DAYS}o.created_at{IN_DAYS} + 90`
    "DAYS": ("(EXTRACT(EPOCH FROM ", "(julianday("),
    "IN_DAYS": (") / 86400.0)", "))"),
}


def on_sqlite() -> bool:
    return bool(Fan._meta.db.capabilities.dialect == "sqlite")


class _Placeholders(dict[str, str]):
    """Fills a statement's names in the order they appear, collecting their values."""

    def __init__(self, values: dict[str, object], sqlite: bool) -> None:
        super().__init__()
        self.given = values
        self.sqlite = sqlite
        self.bound: list[object] = []

    def __missing__(self, name: str) -> str:
        if name in DIALECT:
            return DIALECT[name][self.sqlite]
        value = self.given[name]
        if isinstance(value, list | tuple):
            if value and all(isinstance(each, tuple) for each in value):
                return ", ".join(f"({self._marks(row)})" for row in value)
            return self._marks(value)
        return self._marks((value,))

    def _marks(self, values: tuple[object, ...] | list[object]) -> str:
        first = len(self.bound)
        self.bound.extend(values)
        if self.sqlite:
            return ", ".join("?" for _ in values)
        return ", ".join(f"${n}" for n in range(first + 1, first + len(values) + 1))


def prepared(statement: str, values: dict[str, object], sqlite: bool) -> tuple[str, list[object]]:
    """The statement in the dialect's placeholders, and its values in their order."""
    marks = _Placeholders(values, sqlite)
    return statement.format_map(marks), marks.bound


def moment(value: object) -> datetime | None:
    """A timestamp as a driver returns it in a row (PostgreSQL a datetime, SQLite its text),
    as the aware UTC datetime the ORM would have made."""
    if value is None:
        return None
    found = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)


async def rows(statement: str, /, **values: object) -> list[dict[str, Any]]:
    """Run a statement on the current connection (or transaction)."""
    text, bound = prepared(statement, values, on_sqlite())
    result: list[dict[str, Any]] = await Fan._meta.db.execute_query_dict(text, bound)
    return result
