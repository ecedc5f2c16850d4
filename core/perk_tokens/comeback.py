"""Did token holders come back? For each set, its holders against comparable fans: those
who listened or bought in the 30 days before the set was minted and got none of its
tokens; each side's share that came to the next live session after the minting, and that
bought again after it. The sets are weighed by their size, as recognition uplift weighs its
cohorts (core/analytics/uplift.py), and carry the same kind of caveat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core import sql
from core.analytics.uplift import CohortUplift, Group, weighted_difference
from core.models import PerkTokenSet

BEFORE = timedelta(days=30)
CAVEAT = (
    "Fans who get tokens are also the most engaged (the first buyers, the longest "
    "listeners), and holding a token may be why they come: the difference is an "
    "association, not proof that the tokens caused it."
)
_HOLDERS = (
    'SELECT DISTINCT "holder_id" AS "fan_id" FROM "perk_token" WHERE "token_set_id" = {set_id} '
    'AND "claimed_at" IS NOT NULL AND "holder_id" IS NOT NULL'
)
_ACTIVE_BEFORE = (
    'SELECT a."fan_id" FROM "attendance" a JOIN "live_session" s ON s."id" = a."session_id" '
    'WHERE s."started_at" >= {since} AND s."started_at" <= {at} '
    'UNION SELECT o."fan_id" FROM "order" o WHERE o."status" = \'paid\' '
    'AND o."created_at" >= {since} AND o."created_at" <= {at}'
)
_NEXT_SESSION = (
    'SELECT DISTINCT a."fan_id" FROM "attendance" a WHERE a."session_id" = (SELECT s."id" '
    'FROM "live_session" s WHERE s."started_at" > {at} ORDER BY s."started_at" LIMIT 1)'
)
_BOUGHT_AFTER = (
    'SELECT DISTINCT o."fan_id" FROM "order" o WHERE o."status" = \'paid\' '
    'AND o."created_at" > {at}'
)


@dataclass(frozen=True, slots=True)
class Comeback:
    came_back: list[CohortUplift]  # per set (`month` holds the set's name): next session
    bought: list[CohortUplift]  # and bought again after the minting
    came_back_difference: float | None
    bought_difference: float | None
    caveat: str = CAVEAT


async def comeback() -> Comeback:
    came_back: list[CohortUplift] = []
    bought: list[CohortUplift] = []
    for token_set in await PerkTokenSet.all().order_by("id"):
        at = token_set.created_at
        holders = await _fans(_HOLDERS, set_id=token_set.id)
        others = await _fans(_ACTIVE_BEFORE, since=at - BEFORE, at=at) - holders
        label = f"#{token_set.id} {token_set.name}"
        for found, statement in ((came_back, _NEXT_SESSION), (bought, _BOUGHT_AFTER)):
            did = await _fans(statement, at=at)
            found.append(CohortUplift(label, _group(holders, did), _group(others, did)))
    return Comeback(came_back, bought, weighted_difference(came_back), weighted_difference(bought))


def _group(fans: set[int], did: set[int]) -> Group:
    return Group(len(fans), len(fans & did))


async def _fans(statement: str, **values: datetime | int) -> set[int]:
    return {int(row["fan_id"]) for row in await sql.rows(statement, **values)}
