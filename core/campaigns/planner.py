"""Making campaigns and putting their deliveries in the outbox when their time comes.

Queuing is derived from the database on every clock tick and inserts deliveries that are
unique per fan, campaign and subject, so a restarted or second clock queues nothing twice
(invariant 6). Consent, caps and quiet hours are the outbox's, checked at sending time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import Q, Subquery
from tortoise.functions import Sum

from core import sql
from core.buckets import bucket
from core.campaigns import templates
from core.campaigns.forms import CampaignForm
from core.campaigns.segments import Segment
from core.drops.specs import check_title
from core.errors import InvalidInput, InvalidState, NotFound
from core.kinds import (
    Automatic,
    CampaignStatus,
    DeliveryStatus,
    DropStatus,
    FanTier,
    HoldStatus,
    OrderStatus,
    Platform,
)
from core.memberships import join_links
from core.models import (
    Campaign,
    CampaignVariant,
    Delivery,
    Drop,
    DropTier,
    LedgerEntry,
    LiveSession,
    Order,
    PlatformAccount,
    Reservation,
)
from core.ports import Clock
from core.recognition import Rules

# a fan is reached on the first of these they can be reached on
PLATFORM_ORDER = (Platform.TELEGRAM, Platform.DISCORD, Platform.SANDBOX)
LABELS = "ABCDEFGH"
SAMPLE = 5
RECENT_LAPSE = timedelta(hours=24)  # automatic nudges look at lapses and points this recent


_ANY_SCHEDULED = (
    'SELECT 1 AS "any" FROM "campaign" WHERE "status" = \'scheduled\' '
    'AND "automatic" IS NULL LIMIT 1'
)


@dataclass(frozen=True, slots=True)
class Preview:
    segment: str  # described
    size: int
    opted_in: int
    sample: list[str]


@dataclass(frozen=True, slots=True)
class CampaignView:
    id: int
    name: str
    status: str
    segment: str
    send_at: datetime | None
    after_session_id: int | None
    after_minutes: int
    variants: list[tuple[str, str]]


class Campaigns:
    def __init__(self, clock: Clock, rules: Rules, near_tier_points: int = 20) -> None:
        self.clock = clock
        self.rules = rules
        self.near_tier_points = near_tier_points

    async def preview(self, filters: str) -> Preview:
        """How many fans the segment the filters write holds, how many said yes to DMs, and
        a few names."""
        segment = Segment.from_words(filters)
        fans = segment.fans(self.clock.now())
        size = await fans.count()
        opted_in = await fans.filter(dm_opt_in=True).count()
        sample = await fans.order_by("id").limit(SAMPLE).values_list("display_name", flat=True)
        return Preview(segment.describe(), size, opted_in, [str(name) for name in sample])

    async def create(
        self,
        name: str,
        segment: Segment,
        variants: Sequence[str],
        *,
        drop_id: int | None = None,
        url: str = "",
        send_at: datetime | None = None,
        after_session: int | None = None,
        after_minutes: int = 0,
    ) -> CampaignView:
        """A campaign sent now (no time given), at `send_at`, or `after_minutes` after live
        session `after_session` ends. Refused: an unknown variable, a time in the past, and an
        empty segment for a campaign sent now."""
        name = check_title(name, "a campaign")
        texts = [templates.check(text) for text in variants]
        if not 1 <= len(texts) <= len(LABELS):
            raise InvalidInput(f"a campaign has 1 to {len(LABELS)} variants")
        now = self.clock.now()
        if send_at is not None and (send_at.tzinfo is None or send_at <= now):
            raise InvalidInput("send it now, or at a future time with a time zone")
        if after_session is not None:
            if send_at is not None:
                raise InvalidInput("send at a time, or after a session: not both")
            if not 0 <= after_minutes <= 7 * 24 * 60:
                raise InvalidInput("after a session means 0 minutes to 7 days after it ends")
            session = await LiveSession.get_or_none(id=after_session)
            if session is None:
                raise NotFound(f"there is no live session #{after_session}")
            drop_id = drop_id if drop_id is not None else session.drop_id  # its featured drop
        if drop_id is not None and not await Drop.exists(id=drop_id):
            raise NotFound(f"there is no drop #{drop_id}")
        if url.startswith(join_links.IN_CAMPAIGN):  # each fan's own join link to a plan
            url = await join_links.campaign_target(url)
        elif url and not url.startswith(("https://", "http://")):
            raise InvalidInput(f"{url!r} is not a web address")
        # a campaign for later works out its audience when it is queued: "listened=3" before
        # session 3 is empty now and full after it
        sends_now = send_at is None and after_session is None
        if sends_now and not await segment.fans(now).exists():
            raise InvalidInput(f"no fan is in that segment ({segment.describe()}): nothing to send")
        campaign = await Campaign.create(
            name=name,
            segment=segment.to_json(),
            drop_id=drop_id,
            url=url,
            send_at=send_at if send_at or after_session else now,
            after_session_id=after_session,
            after_minutes=after_minutes,
            created_at=now,
        )
        await CampaignVariant.bulk_create(
            CampaignVariant(campaign_id=campaign.id, label=LABELS[n], template=text)
            for n, text in enumerate(texts)
        )
        await self.queue_due()
        return await self.view(campaign.id)

    async def switch(self, kind: Automatic, text: str | None) -> CampaignView | None:
        """Turn an automatic campaign on with its message (or change the message), or off
        with None."""
        existing = await Campaign.get_or_none(automatic=kind)
        if text is None:
            if existing is None or existing.status == CampaignStatus.CANCELLED:
                raise InvalidState(f"the {kind.value.replace('_', ' ')} campaign is not on")
            await Campaign.filter(id=existing.id).update(status=CampaignStatus.CANCELLED)
            return None
        template = templates.check(text)
        if existing is None:
            existing = await Campaign.create(
                name=kind.value.replace("_", " "),
                automatic=kind,
                created_at=self.clock.now(),
            )
        await Campaign.filter(id=existing.id).update(status=CampaignStatus.SCHEDULED)
        await CampaignVariant.update_or_create(
            {"template": template}, campaign_id=existing.id, label="A"
        )
        return await self.view(existing.id)

    async def cancel(self, campaign_id: int) -> CampaignView:
        """Stop a campaign: what is still queued is skipped, what was sent stays sent."""
        cancelled = await Campaign.filter(
            id=campaign_id, status__not=CampaignStatus.CANCELLED
        ).update(status=CampaignStatus.CANCELLED)
        if not cancelled:
            await _get(campaign_id)
            raise InvalidState(f"campaign #{campaign_id} is cancelled already")
        await Delivery.filter(campaign_id=campaign_id, status=DeliveryStatus.QUEUED).update(
            status=DeliveryStatus.SKIPPED, reason="campaign cancelled"
        )
        return await self.view(campaign_id)

    async def retry(self, campaign_id: int) -> int:
        """Queue a campaign's failed DMs again with their attempts renewed (an outage outlasted
        their tries; an interrupted one may have arrived, so the creator chooses); consent,
        the weekly cap and quiet hours are checked again as each goes. How many."""
        if (await self.view(campaign_id)).status == CampaignStatus.CANCELLED:
            raise InvalidState(f"campaign #{campaign_id} is cancelled: none of it is sent")
        return await Delivery.filter(campaign_id=campaign_id, status=DeliveryStatus.FAILED).update(
            status=DeliveryStatus.QUEUED, attempts=0, reason=None, not_before=self.clock.now(),
            claimed_at=None, claimed_by=None,
        )  # fmt: skip

    async def create_from(self, form: CampaignForm) -> CampaignView:
        """A campaign typed in a chat (see `forms`)."""
        when = form.schedule
        return await self.create(
            form.name, form.segment, form.variants, send_at=when.send_at,
            after_session=when.after_session, after_minutes=when.after_minutes,
        )  # fmt: skip

    async def view(self, campaign_id: int) -> CampaignView:
        campaign = await _get(campaign_id)
        variants = await CampaignVariant.filter(campaign_id=campaign_id).order_by("label")
        return CampaignView(
            campaign.id,
            campaign.name,
            campaign.status.value,
            Segment.from_json(campaign.segment).describe(),
            campaign.send_at,
            campaign.after_session_id,
            campaign.after_minutes,
            [(v.label, v.template) for v in variants],
        )

    async def listing(self) -> list[CampaignView]:
        ids: list[int] = await Campaign.all().order_by("-id").values_list("id", flat=True)  # type: ignore[assignment]
        return [await self.view(campaign_id) for campaign_id in ids]

    async def queue_due(self) -> int:
        """Queue every campaign whose time came (each clock tick: one cheap statement first,
        as most ticks have no campaign waiting)."""
        if not await sql.rows(_ANY_SCHEDULED):
            return 0
        now, queued = self.clock.now(), 0
        sessions_ended = Subquery(
            LiveSession.filter(ended_at__isnull=False).values("id")
        )  # the minutes after the end are checked below, per campaign
        due = await Campaign.filter(
            Q(send_at__lte=now) | Q(after_session_id__in=sessions_ended),
            status=CampaignStatus.SCHEDULED,
            automatic__isnull=True,
        ).select_related("after_session")
        for campaign in due:
            session = campaign.after_session
            if session is not None:
                assert session.ended_at is not None
                if session.ended_at + timedelta(minutes=campaign.after_minutes) > now:
                    continue
            segment = Segment.from_json(campaign.segment)
            fan_ids: list[int] = await segment.fans(now).values_list("id", flat=True)  # type: ignore[assignment]
            queued += await self._queue(campaign, [(fan_id, "") for fan_id in fan_ids], now)
            await Campaign.filter(id=campaign.id, status=CampaignStatus.SCHEDULED).update(
                status=CampaignStatus.QUEUED, queued_at=now
            )
        return queued

    async def queue_automatic(self) -> int:
        """What the automatic campaigns that are on owe (every minute: each looks over the
        last day's lapsed holds or points)."""
        now, queued = self.clock.now(), 0
        for campaign in await Campaign.filter(
            status=CampaignStatus.SCHEDULED, automatic__isnull=False
        ):
            owed = (
                await self._lapsed_holds(now)
                if campaign.automatic == Automatic.ABANDONED_HOLD
                else await self._near_a_tier(now)
            )
            queued += await self._queue(campaign, owed, now)
        return queued

    async def _queue(self, campaign: Campaign, owed: list[tuple[int, str]], now: datetime) -> int:
        """Deliveries for (fan, subject) pairs, each on the fan's first reachable platform;
        those already made are left as they are."""
        if not owed:
            return 0
        variants = await CampaignVariant.filter(campaign_id=campaign.id).order_by("label")
        fan_ids = sorted({fan_id for fan_id, _ in owed})
        reachable: dict[int, Platform] = {}
        accounts = await PlatformAccount.filter(fan_id__in=fan_ids, dm_reachable=True).values_list(
            "fan_id", "platform"
        )
        for fan_id, platform in sorted(accounts, key=lambda a: PLATFORM_ORDER.index(a[1])):
            reachable.setdefault(int(fan_id), Platform(platform))
        deliveries = [
            Delivery(
                campaign_id=campaign.id,
                variant_id=variants[bucket(str(campaign.id), fan_id, len(variants))].id,
                fan_id=fan_id,
                subject=subject,
                platform=reachable.get(fan_id, Platform.SANDBOX),
                status=DeliveryStatus.QUEUED if fan_id in reachable else DeliveryStatus.SKIPPED,
                reason=None if fan_id in reachable else "unreachable",
                not_before=now,
            )
            for fan_id, subject in owed
        ]
        before = await Delivery.filter(campaign_id=campaign.id).count()
        await Delivery.bulk_create(deliveries, batch_size=500, ignore_conflicts=True)
        return await Delivery.filter(campaign_id=campaign.id).count() - before

    async def _lapsed_holds(self, now: datetime) -> list[tuple[int, str]]:
        """Fans whose hold on an open drop lapsed lately, who have not bought from it since,
        while it still has units: one nudge per fan and drop."""
        lapsed = await Reservation.filter(
            status=HoldStatus.EXPIRED,
            expires_at__gte=now - RECENT_LAPSE,
            tier__drop__status=DropStatus.OPEN,
        ).values_list("fan_id", "tier__drop_id")
        owed = []
        for fan_id, drop_id in set(lapsed):
            bought = await Order.exists(
                fan_id=fan_id, tier__drop_id=drop_id, status=OrderStatus.PAID
            )
            left = await DropTier.exists(drop_id=drop_id, available__gt=0)
            if left and not bought:
                owed.append((int(fan_id), f"drop:{drop_id}"))
        return sorted(owed)

    async def _near_a_tier(self, now: datetime) -> list[tuple[int, str]]:
        """Fans who earned points in the last day and are now within `near_tier_points` of
        their next tier: one nudge per fan and tier."""
        lately = LedgerEntry.filter(created_at__gte=now - RECENT_LAPSE).values("fan_id")
        totals = await (
            LedgerEntry.filter(fan_id__in=Subquery(lately))
            .group_by("fan_id")
            .annotate(points=Sum("amount"))
            .values_list("fan_id", "points")
        )
        owed = []
        for fan_id, points in totals:
            upcoming = next_tier(self.rules, int(points or 0))
            if upcoming and upcoming[1] <= self.near_tier_points:
                owed.append((int(fan_id), f"tier:{upcoming[0].value}"))
        return sorted(owed)


def next_tier(rules: Rules, points: int) -> tuple[FanTier, int] | None:
    """The next tier up and the points still needed, or None at the top."""
    ahead = sorted(
        (needed - points, tier) for tier, needed in rules.thresholds.items() if needed > points
    )
    return (ahead[0][1], ahead[0][0]) if ahead else None


async def _get(campaign_id: int) -> Campaign:
    campaign = await Campaign.get_or_none(id=campaign_id)
    if campaign is None:
        raise NotFound(f"there is no campaign #{campaign_id}")
    return campaign
