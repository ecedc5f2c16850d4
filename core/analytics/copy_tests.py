"""Drop copy A/B results: per drop and variant, the fans who were shown it when a unit was
held for them, and how many of them paid."""

from __future__ import annotations

from dataclasses import dataclass

from core.analytics.ab import Arm, Verdict, verdict
from core.analytics.rollups import Fans, Rollup, totals
from core.models import Drop


def _arm_parts(fans: Fans) -> str:
    """Per fan, drop and variant shown ("12|B", the key): n1 = 1 fan, n2 = 1 if they paid."""
    return (
        "SELECT r.fan_id AS fan_id, CAST(t.drop_id AS VARCHAR(20)) || '|' || r.copy_label AS key, "
        "1 AS n1, MAX(CASE WHEN o.status = 'paid' THEN 1 ELSE 0 END) AS n2, "
        '0 AS n3, 0 AS n4, 0 AS n5 FROM "reservation" r JOIN "drop_tier" t ON t.id = r.tier_id '
        'LEFT JOIN "order" o ON o.hold_id = r.id '
        f"WHERE r.copy_label IS NOT NULL AND {fans('r.fan_id')} "
        "GROUP BY r.fan_id, t.drop_id, r.copy_label"
    )


ARMS = Rollup("drop copy arms", _arm_parts)


@dataclass(frozen=True, slots=True)
class CopyTest:
    drop_id: int
    title: str
    verdict: Verdict


async def copy_tests() -> list[CopyTest]:
    arms: dict[int, list[Arm]] = {}
    for total in await totals(ARMS):
        drop, label = total.key.split("|")
        arms.setdefault(int(drop), []).append(Arm(label, total.n[0], total.n[1]))
    titles = dict(await Drop.filter(id__in=list(arms)).values_list("id", "title"))
    return [
        CopyTest(drop_id, str(titles[drop_id]), verdict(found))
        for drop_id, found in sorted(arms.items())
    ]
