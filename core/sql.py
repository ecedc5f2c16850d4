"""Hand-written statements for the hot paths, where the ORM's query building would cost ten
times the statement (bench/drop_burst.py, bench/webhooks.py)."""

from __future__ import annotations

from typing import Any

from core.models import Fan


def on_sqlite() -> bool:
    return bool(Fan._meta.db.capabilities.dialect == "sqlite")


async def rows(statement: str, *values: object) -> list[dict[str, Any]]:
    """Run a statement on the current connection (or transaction), with the dialect's
    placeholders in place of {0}, {1}, …"""
    db = Fan._meta.db
    sqlite = on_sqlite()
    marks = ["?" if sqlite else f"${n}" for n in range(1, len(values) + 1)]
    result: list[dict[str, Any]] = await db.execute_query_dict(statement.format(*marks), [*values])
    return result
