"""Drop copy A/B results: per drop and variant, the fans who were shown it when a unit was
held for them, and how many of them paid."""

from __future__ import annotations

from dataclasses import dataclass

from core import sql
from core.analytics.ab import Arm, Verdict, verdict

_ARMS = (
    "SELECT t.drop_id AS drop_id, d.title AS title, r.copy_label AS label, "
    "COUNT(DISTINCT r.fan_id) AS fans, "
    "COUNT(DISTINCT CASE WHEN o.status = 'paid' THEN r.fan_id END) AS paid "
    'FROM "reservation" r JOIN "drop_tier" t ON t.id = r.tier_id '
    'JOIN "drop" d ON d.id = t.drop_id LEFT JOIN "order" o ON o.hold_id = r.id '
    "WHERE r.copy_label IS NOT NULL GROUP BY t.drop_id, d.title, r.copy_label "
    "ORDER BY t.drop_id, r.copy_label"
)


@dataclass(frozen=True, slots=True)
class CopyTest:
    drop_id: int
    title: str
    verdict: Verdict


async def copy_tests() -> list[CopyTest]:
    arms: dict[tuple[int, str], list[Arm]] = {}
    for row in await sql.rows(_ARMS):
        key = (int(row["drop_id"]), str(row["title"]))
        arms.setdefault(key, []).append(Arm(str(row["label"]), int(row["fans"]), int(row["paid"])))
    return [CopyTest(drop_id, title, verdict(found)) for (drop_id, title), found in arms.items()]
