"""What a campaign did, per variant: where its deliveries stand, taps on the DMs' links,
and the orders that followed. An order is credited to the last campaign DM whose link the
fan tapped in the week before paying (last click), so no order counts twice."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from core import sql
from core.analytics.ab import Arm, Verdict, verdict
from core.analytics.dialect import dm_link, paid_within
from core.analytics.rollups import Fans, Rollup, totals
from core.campaigns.planner import Campaigns, CampaignView
from core.models import Campaign, CampaignVariant
from core.money import Money

ATTRIBUTION_WINDOW_MINUTES = 7 * 24 * 60


@dataclass
class VariantReport:
    label: str
    template: str
    statuses: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)  # by reason
    failed: Counter[str] = field(default_factory=Counter)  # by reason
    taps: int = 0
    orders: int = 0
    buyers: int = 0  # fans with an order credited to this variant
    revenue: dict[str, int] = field(default_factory=dict)  # currency → minor units

    @property
    def revenue_text(self) -> str:
        return ", ".join(str(Money(minor, cur)) for cur, minor in sorted(self.revenue.items()))


@dataclass(frozen=True)
class CampaignReport:
    campaign: CampaignView
    variants: list[VariantReport]

    def ab_test(self) -> Verdict | None:
        """Which variant converts better, from fans sent each one and fans who bought."""
        if len(self.variants) < 2:
            return None
        return verdict([Arm(v.label, v.statuses["sent"], v.buyers) for v in self.variants])


async def report(campaigns: Campaigns, campaign_id: int) -> CampaignReport:
    view = await campaigns.view(campaign_id)
    variants = {
        v.id: VariantReport(v.label, v.template)
        for v in await CampaignVariant.filter(campaign_id=campaign_id).order_by("label")
    }
    for row in await sql.rows(_STATUSES, campaign_id=campaign_id):
        line = variants[int(row["variant_id"])]
        status, n = str(row["status"]), int(row["n"])
        line.statuses[status] += n
        if status in ("skipped", "failed"):
            getattr(line, status)[row["reason"] or "unknown"] += n
    for row in await sql.rows(_TAPS, campaign_id=campaign_id):
        variants[int(row["variant_id"])].taps = int(row["n"])
    for credit in await credited(campaign_id):
        line = variants[credit.variant_id]
        line.orders += credit.orders
        line.buyers += 1
        for currency, minor in credit.revenue.items():
            line.revenue[currency] = line.revenue.get(currency, 0) + minor
    return CampaignReport(view, list(variants.values()))


async def ab_tests() -> list[tuple[int, str, Verdict]]:
    """Every campaign with variants: (id, name, verdict), from fans sent each variant and
    fans credited with an order."""
    counted = {int(t.key): t.n for t in await totals(ARMS)}
    arms: dict[int, list[Arm]] = {}
    for variant in await CampaignVariant.all().order_by("campaign_id", "label"):
        sent, converted = counted.get(variant.id, (0, 0))[:2]
        arms.setdefault(variant.campaign_id, []).append(Arm(variant.label, sent, converted))
    names = dict(await Campaign.filter(id__in=list(arms)).values_list("id", "name"))
    return [
        (campaign_id, str(names[campaign_id]), verdict(found))
        for campaign_id, found in sorted(arms.items())
        if len(found) > 1
    ]


def _arm_parts(fans: Fans) -> str:
    """Per fan and variant (the key): n1 DMs sent, n2 those credited with an order."""
    return (
        "SELECT fan_id, CAST(variant_id AS VARCHAR(20)) AS key, SUM(n1) AS n1, SUM(n2) AS n2, "
        "0 AS n3, 0 AS n4, 0 AS n5 FROM ("
        'SELECT x.fan_id AS fan_id, x.variant_id AS variant_id, 1 AS n1, 0 AS n2 FROM "delivery" x '
        f"WHERE x.status = 'sent' AND {fans('x.fan_id')} "
        'UNION ALL SELECT x.fan_id, x.variant_id, 0, 1 FROM "delivery" x WHERE x.id IN '
        f"(SELECT delivery_id FROM ({_credited(fans('x.fan_id'))}) c)"
        ") a GROUP BY fan_id, variant_id"
    )


ARMS = Rollup("campaign arms", _arm_parts)


@dataclass(slots=True)
class DeliveryCredit:
    """The orders credited to one delivery (one fan's DM)."""

    variant_id: int
    orders: int
    revenue: dict[str, int]


async def credited(campaign_id: int) -> list[DeliveryCredit]:
    """Every delivery of the campaign with orders credited to it: each paid order goes to
    the last campaign DM link its fan tapped in the week before paying."""
    # built here, not once: its time arithmetic is written in the dialect's own functions
    statement = _credited(_OF_CAMPAIGN, "AND campaign_id = {campaign_id}")
    rows = await sql.rows(statement, campaign_id=campaign_id)
    found: dict[int, DeliveryCredit] = {}
    for row in rows:  # one row per delivery and currency
        credit = found.setdefault(
            int(row["delivery_id"]),
            DeliveryCredit(int(row["variant_id"]), 0, {}),
        )
        credit.orders += int(row["orders"])
        credit.revenue[str(row["currency"])] = int(row["revenue"])
    return list(found.values())


_STATUSES = (
    'SELECT variant_id, status, reason, COUNT(*) AS n FROM "delivery" '
    "WHERE campaign_id = {campaign_id} GROUP BY variant_id, status, reason"
)
_TAPS = (
    'SELECT x.variant_id AS variant_id, COUNT(*) AS n FROM "delivery" x '
    "JOIN \"link\" l ON l.purpose = 'delivery' AND l.ref = CAST(x.id AS VARCHAR(64)) "
    'JOIN "link_click" c ON c.link_id = l.id WHERE x.campaign_id = {campaign_id} '
    "GROUP BY x.variant_id"
)
_OF_CAMPAIGN = 'x.fan_id IN (SELECT fan_id FROM "delivery" WHERE campaign_id = {campaign_id})'


def _credited(fans: str, campaign: str = "") -> str:
    """Each paid order's last tapped campaign DM, within the window before paying, summed per
    delivery and currency."""
    window = ATTRIBUTION_WINDOW_MINUTES
    return (
        "WITH last AS (SELECT o.amount_minor AS amount, o.currency AS currency, "
        "x.id AS delivery_id, x.campaign_id AS campaign_id, x.variant_id AS variant_id, "
        "ROW_NUMBER() OVER (PARTITION BY o.id ORDER BY c.at DESC, l.ref DESC) AS r "
        'FROM "link_click" c JOIN "link" l ON l.id = c.link_id '
        f'JOIN "delivery" x ON {dm_link("l", "x")} '
        f'JOIN "order" o ON {paid_within("o", "x.fan_id", "c.at", window)} '
        f"WHERE {fans}) "
        "SELECT delivery_id, campaign_id, variant_id, currency, COUNT(*) AS orders, "
        f"SUM(amount) AS revenue FROM last WHERE r = 1 {campaign} "
        "GROUP BY delivery_id, campaign_id, variant_id, currency"
    )
