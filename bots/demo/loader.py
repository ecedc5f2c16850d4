"""Writes a simulated creator's weeks into an empty database, as the rows Dropcast itself
would have recorded, in bulk."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.models import Model
from tortoise.transactions import in_transaction

from bots.demo.memberships import Member
from bots.demo.simulation import Plan
from core import sql
from core.errors import InvalidState
from core.kinds import (
    CampaignStatus,
    DeliveryStatus,
    DropStatus,
    HoldStatus,
    LiveStatus,
    PlanPeriod,
    Platform,
    SubscriptionProvider,
    TierKind,
)
from core.memberships.members import membership_columns
from core.memberships.states import Snapshot
from core.models import (
    Attendance,
    Campaign,
    CampaignVariant,
    Community,
    ConsentRecord,
    Delivery,
    Drop,
    DropTier,
    Fan,
    LedgerEntry,
    Link,
    LinkClick,
    LiveSession,
    Membership,
    MembershipPlan,
    Order,
    Perk,
    PlatformAccount,
    Reservation,
)
from core.recognition import Rules

BATCH = 2000
TEXTS = {"A": "New: {drop}. {link}", "B": "Only a few days: {drop} is here. {link}"}


# what a creator's own database has as soon as it is used; simulated weeks never mix with it
IN_USE = {
    "fans": Fan, "drops": Drop, "live sessions": LiveSession, "campaigns": Campaign,
    "links": Link, "connected communities": Community, "perks": Perk,
    "membership plans": MembershipPlan,
}  # fmt: skip
GRACE = timedelta(days=3)  # the settings' default (MEMBERSHIP_GRACE_DAYS)


async def load(plan: Plan, rules: Rules | None = None, grace: timedelta = GRACE) -> None:
    """All of it or nothing, into a database nobody uses yet: refused before anything is
    written if it has any of `IN_USE`, and written in one transaction, so a failure halfway
    leaves the database as it was."""
    for what, model in IN_USE.items():
        if await model.exists():
            raise InvalidState(
                f"this database already has {what}; demo data goes only into a new one "
                "(set DATABASE_URL to another file, then dropcast migrate)"
            )
    rules = rules or Rules()
    async with in_transaction():
        await _fans(plan, rules)
        await _drops(plan)
        await _sessions(plan)
        await _holds(plan)
        await _campaign(plan)
        await _memberships(plan, grace)
        await _bump_sequences()


async def _bulk(rows: list[Model]) -> None:
    if rows:
        await type(rows[0]).bulk_create(rows, batch_size=BATCH)


async def _fans(plan: Plan, rules: Rules) -> None:
    start = plan.start
    totals = {fan: sum(points for *_, points, _ in entries) for fan, entries in plan.points.items()}
    ids = range(1, plan.params.fans + 1)
    joined: dict[int, datetime] = {}  # members of the plan launched before the weeks
    for member in plan.members:
        joined[member.fan_id] = min(member.started_at, joined.get(member.fan_id, start))
    await _bulk([
        Fan(id=fan, display_name=f"Fan {fan}", dm_opt_in=fan in plan.opted_in,
            tier=rules.tier_for(totals.get(fan, 0)), created_at=joined.get(fan, start))
        for fan in ids
    ])  # fmt: skip
    await _bulk([
        PlatformAccount(fan_id=fan, platform=Platform.TELEGRAM, platform_user_id=str(10**6 + fan),
                        username=f"fan{fan}", created_at=start)
        for fan in ids
    ])  # fmt: skip
    await _bulk([
        ConsentRecord(fan_id=fan, given=True, platform=Platform.TELEGRAM, how="/start", at=start)
        for fan in sorted(plan.opted_in)
    ])  # fmt: skip
    await _bulk([
        LedgerEntry(fan_id=fan, amount=points, reason=reason, source_id=source, created_at=at)
        for fan, entries in plan.points.items() for reason, source, points, at in entries
    ])  # fmt: skip


async def _drops(plan: Plan) -> None:
    sold = plan.truth.sold if plan.truth else {}
    await _bulk([
        Drop(id=d.id, code=f"demo{d.id}", title=d.title, opened_at=d.opened_at,
             status=DropStatus.SOLD_OUT if sold.get(d.id, 0) >= d.stock else DropStatus.CLOSED,
             ended_at=d.opened_at + timedelta(days=2))
        for d in plan.drops
    ])  # fmt: skip
    await _bulk([
        DropTier(id=d.id, drop_id=d.id, name="Signed print" if d.kind == "physical" else "Pack",
                 kind=TierKind(d.kind), price_minor=d.price_minor, currency=plan.params.currency,
                 stock=d.stock, available=d.stock - sold.get(d.id, 0),
                 content="" if d.kind == "physical" else "https://files.example/pack.zip")
        for d in plan.drops
    ])  # fmt: skip


async def _sessions(plan: Plan) -> None:
    await _bulk([
        LiveSession(id=s.id, title=s.title, starts_at=s.started_at, drop_id=s.drop_id,
                    status=LiveStatus.ENDED, started_at=s.started_at,
                    ended_at=s.started_at + timedelta(minutes=30), created_at=plan.start)
        for s in plan.sessions
    ])  # fmt: skip
    await _bulk([
        Attendance(session_id=a.session_id, fan_id=a.fan_id, first_seen_at=a.at,
                   minutes=a.minutes)
        for a in plan.listens
    ])  # fmt: skip


async def _holds(plan: Plan) -> None:
    paid_at = dict(plan.orders)
    await _bulk([
        Reservation(id=h.id, tier_id=h.drop_id, fan_id=h.fan_id,
                    status=HoldStatus.PAID if h.paid else HoldStatus.EXPIRED,
                    slot=0 if h.paid else None, created_at=h.at,
                    expires_at=h.at + timedelta(minutes=10),
                    ended_at=paid_at.get(h.id, h.at + timedelta(minutes=10)))
        for h in plan.holds
    ])  # fmt: skip
    prices = {d.id: d.price_minor for d in plan.drops}
    holds = {h.id: h for h in plan.holds}
    await _bulk([
        Order(payment_id=f"demo_{hold_id}", provider="sandbox", hold_id=hold_id,
              tier_id=holds[hold_id].drop_id, fan_id=holds[hold_id].fan_id,
              amount_minor=prices[holds[hold_id].drop_id], currency=plan.params.currency,
              created_at=at)
        for hold_id, at in plan.orders
    ])  # fmt: skip
    await _bulk([
        Link(code=f"p{h.id}", target="https://checkout.example/demo", purpose="pay",
             ref=str(h.id), clicks=1, created_at=h.at, last_clicked_at=h.at)
        for h in plan.holds if h.tapped
    ])  # fmt: skip


async def _campaign(plan: Plan) -> None:
    if not plan.dms:
        return
    sent_at = plan.dms[0].sent_at
    pack = plan.drops[-1].id
    await Campaign.create(
        id=1, name="Sample pack launch", drop_id=pack, status=CampaignStatus.QUEUED,
        send_at=sent_at, queued_at=sent_at, created_at=sent_at,
    )  # fmt: skip
    variants = {label: await CampaignVariant.create(campaign_id=1, label=label, template=text)
                for label, text in TEXTS.items()}  # fmt: skip
    await _bulk([
        Delivery(id=dm.id, campaign_id=1, variant_id=variants[dm.variant].id, fan_id=dm.fan_id,
                 platform=Platform.TELEGRAM, status=DeliveryStatus.SENT, not_before=sent_at,
                 claimed_at=sent_at, sent_at=sent_at, link_code=f"c{dm.id}")
        for dm in plan.dms
    ])  # fmt: skip
    await _bulk([
        Link(id=10**7 + dm.id, code=f"c{dm.id}", target="https://example.com/pack",
             purpose="delivery", ref=str(dm.id), clicks=1 if dm.tapped_at else 0,
             created_at=sent_at, last_clicked_at=dm.tapped_at)
        for dm in plan.dms
    ])  # fmt: skip
    await _bulk([
        LinkClick(link_id=10**7 + dm.id, at=dm.tapped_at)
        for dm in plan.dms if dm.tapped_at
    ])  # fmt: skip


async def _memberships(plan: Plan, grace: timedelta) -> None:
    """The plan, and each membership as its subscription's last snapshot left it."""
    if not plan.members:
        return
    p = plan.params.members
    launched = min(m.started_at for m in plan.members)
    club = await MembershipPlan.create(
        name="Backstage club", name_key="backstage club", price_minor=p.price_minor,
        currency=plan.params.currency, period=PlanPeriod.MONTHLY, trial_days=p.trial_days,
        created_at=launched,
    )  # fmt: skip
    await _bulk([
        Membership(fan_id=m.fan_id, plan_id=club.id, provider=SubscriptionProvider.STRIPE,
                   subscription_ref=f"demo_sub_{m.id}",
                   **membership_columns(_snapshot(m, plan.now), grace))
        for m in plan.members
    ])  # fmt: skip


def _snapshot(member: Member, now: datetime) -> Snapshot:
    """Stripe's last word on the subscription: cancelled at a renewal or at the trial's end,
    else trialing or active in its current period."""
    start, end = member.period
    if member.ended_at is not None:
        return Snapshot("canceled", as_of=member.ended_at, started_at=member.started_at,
                        current_period_start=start, current_period_end=end,
                        trial_end=member.trial_end, ended_at=member.ended_at,
                        cancel_reason="cancellation_requested")  # fmt: skip
    trialing = member.trial_end is not None and member.trial_end > now
    return Snapshot("trialing" if trialing else "active", as_of=start,
                    started_at=member.started_at, current_period_start=start,
                    current_period_end=end, trial_end=member.trial_end)  # fmt: skip


async def _bump_sequences() -> None:
    """PostgreSQL hands out ids from sequences that rows given their own ids do not move."""
    if sql.on_sqlite():
        return
    # PostgreSQL's own, so not module constants: each of those is checked on both databases
    # (tests/integration/test_statements.py). No values: only the table varies
    for table in ("fan", "drop", "drop_tier", "live_session", "reservation", "campaign",
                  "delivery", "link"):  # fmt: skip
        await sql.rows(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'(SELECT MAX(id) FROM "{table}"))'
        )
