"""What a campaign did, per variant: where its deliveries stand, taps on the DMs' links,
and the orders that followed. An order is credited to the last campaign DM whose link the
fan tapped in the week before paying (last click), so no order counts twice."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.analytics.ab import Arm, Verdict, verdict
from core.campaigns.planner import Campaigns, CampaignView
from core.models import (
    CampaignVariant,
    Delivery,
    Link,
    LinkClick,
    Order,
    OrderStatus,
)
from core.money import Money

ATTRIBUTION_WINDOW = timedelta(days=7)


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
    deliveries = await Delivery.filter(campaign_id=campaign_id).values_list(
        "id", "variant_id", "fan_id", "status", "reason"
    )
    for _, variant_id, _, status, reason in deliveries:
        line = variants[variant_id]
        line.statuses[status] += 1
        if status in ("skipped", "failed"):
            getattr(line, status)[reason or "unknown"] += 1
    mine = {str(d[0]): variants[d[1]] for d in deliveries}
    taps = await _taps([str(d[0]) for d in deliveries])
    for ref, moments in taps.items():
        mine[ref].taps += len(moments)
    await _credit_orders(mine, {int(d[0]): int(d[2]) for d in deliveries}, taps)
    return CampaignReport(view, list(variants.values()))


async def _taps(refs: list[str]) -> dict[str, list[datetime]]:
    """Each delivery's taps on its own link, by delivery id."""
    taps: dict[str, list[datetime]] = defaultdict(list)
    rows = await LinkClick.filter(link__purpose="delivery", link__ref__in=refs).values_list(
        "link__ref", "at"
    )
    for ref, at in rows:
        taps[str(ref)].append(at)
    return taps


async def _credit_orders(
    mine: dict[str, VariantReport], fans: dict[int, int], taps: dict[str, list[datetime]]
) -> None:
    """Orders after a tap on one of this campaign's DMs, unless a later tap on another
    campaign's DM was closer to the payment."""
    tapped_fans = sorted({fans[int(ref)] for ref in taps})
    if not tapped_fans:
        return
    # every campaign DM these fans tapped, to find each order's last click
    theirs = await Delivery.filter(fan_id__in=tapped_fans).values_list("id", "fan_id")
    fan_of = {str(d): int(f) for d, f in theirs}
    clicks: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for ref, at in await Link.filter(purpose="delivery", ref__in=list(fan_of)).values_list(
        "ref", "taps__at"
    ):
        if at is not None:
            clicks[fan_of[str(ref)]].append((at, str(ref)))
    orders = await Order.filter(fan_id__in=tapped_fans, status=OrderStatus.PAID).values_list(
        "fan_id", "created_at", "amount_minor", "currency"
    )
    credited: set[str] = set()  # delivery ids with a buyer counted
    for fan_id, paid_at, minor, currency in orders:
        before = [c for c in clicks[fan_id] if paid_at - ATTRIBUTION_WINDOW <= c[0] <= paid_at]
        if not before:
            continue
        _, ref = max(before)
        if ref in mine:
            line = mine[ref]
            line.orders += 1
            line.buyers += ref not in credited
            credited.add(ref)
            line.revenue[currency] = line.revenue.get(currency, 0) + int(minor)
