"""The creator's report as figures, read through the rollups or counted afresh: whatever
changed in between, the two must read the same."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core import sql
from core.analytics.attribution import Weights
from core.analytics.report import as_data, full_report

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)  # when the report is read


async def figures() -> dict[str, Any]:
    """The full report at NOW, through the rollups (building those not built yet)."""
    data = as_data(await full_report(NOW, Weights()))
    data.pop("at")
    return data


async def counted_afresh() -> dict[str, Any]:
    await sql.rows('DELETE FROM "rollup_total"')  # nothing built: the next read builds all
    return await figures()
