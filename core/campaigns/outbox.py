"""The outbox: deliveries claimed in batches by one conditional update (`SKIP LOCKED` on
PostgreSQL, so two workers never take the same one), checked at the last moment against
consent, reachability, the weekly cap and quiet hours (invariant 4), and sent at most once.
Claims, retries and take-overs follow core/claims.py, as notices do: a DM the platform
refused (an outage) is tried again with backoff; one a stopped process left half-sent is
marked failed by a live process within seconds, never sent again (invariant 6).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import structlog
from tortoise.transactions import in_transaction

from core import claims, sql
from core.campaigns import templates
from core.campaigns.planner import next_tier
from core.kinds import CampaignStatus, DeliveryStatus, FanTier, OrderStatus
from core.memberships.join_links import personal
from core.messages import CampaignDM
from core.models import Delivery, Drop, DropTier, LedgerEntry, Order
from core.ports import Clock, FanMessenger
from core.recognition import Rules
from core.short_links import ShortLinks

log = structlog.get_logger(__name__)
WEEK = timedelta(days=7)
PER_CHAT_GAP = timedelta(seconds=1)  # Telegram: one message a second to the same chat
FIRST_RETRY = timedelta(seconds=5)
DROP_FRESH = timedelta(seconds=5)  # a campaign's drop, read once for the DMs of a few seconds
LEASE = timedelta(minutes=2)  # a claim by a process that never said it was alive

_CLAIM = (
    'UPDATE "delivery" SET "status" = \'sending\', "claimed_at" = {now}, '
    '"claimed_by" = {worker} WHERE "id" IN (SELECT "id" FROM "delivery" '
    'WHERE "status" = \'queued\' AND "platform" = {platform} AND "not_before" <= {now} '
    'ORDER BY "id" LIMIT {batch}{SKIP_LOCKED}) RETURNING "id", "fan_id"'
)
_INTERRUPTED = (
    'UPDATE "delivery" SET "status" = \'failed\', "reason" = {reason}, "claimed_by" = NULL '
    "WHERE \"status\" = 'sending' AND " + claims.abandoned('"claimed_at"') + ' RETURNING "id"'
)
# the platform refused it: due again later, or failed for good
_AGAIN = (
    'UPDATE "delivery" SET "status" = {status}, "reason" = {reason}, "not_before" = {due}, '
    '"attempts" = "attempts" + 1, "claimed_at" = NULL, "claimed_by" = NULL '
    'WHERE "id" = {id} AND "status" = \'sending\''
)

# once per DM: hand-written, as building it with the ORM cost more than sending it
_FINISH = (
    'UPDATE "delivery" SET "status" = {status}, "reason" = {reason}, "sent_at" = {sent_at}, '
    '"link_code" = {code} WHERE "id" = {id} AND "status" = \'sending\''
)


# each fan's row locked, so two platforms' workers count the same fan's cap in turn
_FANS = 'SELECT "id", "dm_opt_in", "timezone" FROM "fan" WHERE "id" IN ({ids}){FOR_UPDATE}'
_REACHABLE = (
    'SELECT "fan_id" FROM "platform_account" WHERE "platform" = {platform} '
    'AND "dm_reachable" = {reachable} AND "fan_id" IN ({ids})'
)
# each fan's campaign DMs of the last week, those just taken aside
_RECENT = (
    'SELECT "fan_id", COUNT("id") AS n, MAX("claimed_at") AS last FROM "delivery" '
    "WHERE \"claimed_at\" >= {since} AND \"status\" IN ('sending', 'sent') "
    'AND "fan_id" IN ({ids}) AND "id" NOT IN ({taken}) GROUP BY "fan_id"'
)
_READY = (
    'SELECT d."id", d."fan_id", d."platform", d."subject", d."attempts", '
    'c."status" AS campaign_status, '
    'c."url" AS campaign_url, c."drop_id" AS campaign_drop_id, v."template", '
    'f."display_name" AS fan_name FROM "delivery" d JOIN "campaign" c ON c."id" = d."campaign_id" '
    'JOIN "campaign_variant" v ON v."id" = d."variant_id" JOIN "fan" f ON f."id" = d."fan_id" '
    'WHERE d."id" IN ({ids})'
)


@dataclass(frozen=True, slots=True)
class Ready:
    """A delivery that may go now, with what its message needs."""

    id: int
    fan_id: int
    platform: str
    subject: str
    attempts: int  # refused by the platform so far
    campaign_status: str
    campaign_url: str
    campaign_drop_id: int | None
    template: str
    fan_name: str


@dataclass(frozen=True, slots=True)
class Limits:
    """What holds for every campaign DM, however it is sent."""

    weekly_cap: int = 2  # campaign DMs per fan in any 7 days
    quiet_from: time = time(22, 0)  # in the fan's time zone
    quiet_until: time = time(8, 0)
    default_zone: str = "UTC"  # for a fan who never gave theirs: the creator's


Pace = Callable[[], Awaitable[None]]


class Outbox:
    def __init__(
        self,
        clock: Clock,
        messengers: Mapping[str, FanMessenger],
        links: ShortLinks,
        rules: Rules,
        limits: Limits,
        worker: str,
    ) -> None:
        self.clock = clock
        self.messengers = messengers
        self.links = links
        self.rules = rules
        self.limits = limits
        self.worker = worker
        self._next_look = datetime.min.replace(tzinfo=UTC)
        self._drops: dict[int, tuple[datetime, Drop]] = {}
        self._drop_urls: dict[tuple[str, int], tuple[datetime, str | None]] = {}

    async def drain(self, platform: str, batch: int = 50, pace: Pace | None = None) -> int:
        """Take up to `batch` due deliveries on `platform` and send those that may go, each
        when `pace()` lets it (the platform's rate); returns how many were taken (0: none
        due). Every few seconds, first marks failed what a stopped process left half-sent."""
        if self.clock.now() >= self._next_look:
            await self.interrupted()
        taken, claimed = await self._claim(platform, batch)
        await asyncio.gather(*(self._send(delivery, pace) for delivery in claimed))
        return taken

    async def interrupted(self) -> int:
        """Deliveries whose process stopped while sending them may or may not have gone out:
        they are marked failed rather than risk a second DM. Those of a live process are
        left to it."""
        now = self.clock.now()
        self._next_look = now + claims.ALIVE_EVERY
        rows = await sql.rows(
            _INTERRUPTED, reason=claims.INTERRUPTED, lease_ends=now - LEASE,
            silent_since=now - claims.SILENT,
        )  # fmt: skip
        if rows:
            log.warning("outbox_interrupted_deliveries", count=len(rows))
        return len(rows)

    async def _claim(self, platform: str, batch: int) -> tuple[int, list[Ready]]:
        """How many were taken, and those of them that may be sent now."""
        now = self.clock.now()
        async with in_transaction():
            taken = await sql.rows(
                _CLAIM, now=now, worker=self.worker, platform=platform, batch=batch
            )
            if not taken:
                return 0, []
            fan_ids = sorted({int(row["fan_id"]) for row in taken})
            fans = {int(row["id"]): row for row in await sql.rows(_FANS, ids=fan_ids)}
            reachable = {
                int(row["fan_id"])
                for row in await sql.rows(
                    _REACHABLE, platform=platform, reachable=True, ids=fan_ids
                )
            }
            taken_ids = [int(row["id"]) for row in taken]
            recent = {
                int(row["fan_id"]): (int(row["n"]), sql.moment(row["last"]))
                for row in await sql.rows(_RECENT, since=now - WEEK, ids=fan_ids, taken=taken_ids)
            }
            sending: list[int] = []
            for row in taken:
                delivery_id, fan = int(row["id"]), fans[int(row["fan_id"])]
                fan_id = int(fan["id"])
                count, last = recent.get(fan_id, (0, None))
                if not fan["dm_opt_in"]:
                    await _skip(delivery_id, "no consent")
                elif fan_id not in reachable:
                    await _skip(delivery_id, "unreachable")
                elif count >= self.limits.weekly_cap:
                    await _skip(delivery_id, "weekly cap")
                elif (resume := self._quiet_until(str(fan["timezone"]), now)) is not None:
                    await _requeue(delivery_id, resume)
                elif last is not None and now - last < PER_CHAT_GAP:
                    await _requeue(delivery_id, now + PER_CHAT_GAP)
                else:
                    sending.append(delivery_id)
                    recent[fan_id] = (count + 1, now)
        ready = [Ready(**row) for row in await sql.rows(_READY, ids=sending)] if sending else []
        return len(taken), sorted(ready, key=lambda each: each.id)

    def _quiet_until(self, timezone: str, now: datetime) -> datetime | None:
        """When the fan's quiet hours end, if they are in them now."""
        zone = ZoneInfo(timezone if timezone != "UTC" else self.limits.default_zone)
        local = now.astimezone(zone)
        start, end = self.limits.quiet_from, self.limits.quiet_until
        quiet = (
            (local.time() >= start or local.time() < end)
            if start > end
            else (start <= local.time() < end)
        )
        if not quiet:
            return None
        resume = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
        resume = resume if resume > local else resume + timedelta(days=1)
        return resume.astimezone(UTC)  # stored times are UTC, compared as such

    async def _send(self, delivery: Ready, pace: Pace | None) -> None:
        try:
            await self._send_once(delivery, pace)
        except Exception as error:  # the platform or the database failed: tried again later
            await self._again(delivery, error)

    async def _send_once(self, delivery: Ready, pace: Pace | None) -> None:
        """Everything but the message is made ready first, so paced sends leave evenly."""
        delivery_id = delivery.id
        if delivery.campaign_status == CampaignStatus.CANCELLED:
            await _finish(delivery_id, DeliveryStatus.SKIPPED, "campaign cancelled")
            return
        values = await self._values(delivery)
        if values is None:
            await _finish(delivery_id, DeliveryStatus.SKIPPED, "no longer applies")
            return
        messenger = self.messengers[delivery.platform]
        target = personal(delivery.campaign_url, delivery.fan_id) or await self._drop_url(
            delivery.platform, values
        )
        url = (
            await self.links.shorten(target, purpose="delivery", ref=str(delivery.id))
            if target
            else None
        )
        values["link"] = url or ""
        text = templates.fill(delivery.template, values)
        if pace is not None:
            await pace()
        if not await messenger.send(delivery.fan_id, CampaignDM(delivery.id, text, url)):
            # blocked the bot, closed DMs: the adapter marked them unreachable
            await _finish(delivery_id, DeliveryStatus.SKIPPED, "unreachable")
            return
        code = url.rsplit("/", 1)[-1] if url else None
        await _finish(delivery_id, DeliveryStatus.SENT, None, sent_at=self.clock.now(), code=code)

    async def _again(self, delivery: Ready, error: Exception) -> None:
        """Due again after a backoff, or failed with the reason once attempts run out."""
        attempts = delivery.attempts + 1
        final = claims.gives_up(error, attempts)
        status = DeliveryStatus.FAILED if final else DeliveryStatus.QUEUED
        due = self.clock.now() + claims.backoff(attempts, FIRST_RETRY)
        await sql.rows(
            _AGAIN, status=status.value, reason=claims.reason(error, 64), due=due, id=delivery.id
        )
        log.warning(
            "delivery_failed" if final else "delivery_will_retry",
            delivery_id=delivery.id,
            attempts=attempts,
            error=type(error).__name__,
        )

    async def _drop(self, drop_id: int) -> Drop:
        """The campaign's drop, read again only every few seconds: every DM of a campaign
        names the same drop, and its countdown moves in minutes."""
        now = self.clock.now()
        read_at, drop = self._drops.get(drop_id, (None, None))
        if drop is None or read_at is None or now - read_at > DROP_FRESH:
            drop = await Drop.get(id=drop_id)
            self._drops[drop_id] = (now, drop)
        return drop

    async def _drop_url(self, platform: str, values: dict[str, str]) -> str | None:
        """Where the drop opens on the fan's platform, asked again every few seconds (a
        post may be made or made again meanwhile)."""
        if "drop_id" not in values:
            return None
        now, key = self.clock.now(), (platform, int(values["drop_id"]))
        asked_at, url = self._drop_urls.get(key, (None, None))
        if asked_at is None or now - asked_at > DROP_FRESH:
            url = await self.messengers[platform].drop_url(key[1])
            self._drop_urls[key] = (now, url)
        return url

    async def _values(self, delivery: Ready) -> dict[str, str] | None:
        """The template's variables for this fan now; None when an automatic campaign's
        reason has passed (the fan bought, the drop sold out, the tier was reached)."""
        values = {"name": delivery.fan_name, "points": "", "tier": ""}
        kind, _, ref = delivery.subject.partition(":")
        drop_id = int(ref) if kind == "drop" else delivery.campaign_drop_id
        if kind == "drop":
            bought = await Order.exists(
                fan_id=delivery.fan_id, tier__drop_id=drop_id, status=OrderStatus.PAID
            )
            if bought or not await DropTier.exists(drop_id=drop_id, available__gt=0):
                return None
        if kind == "tier":
            points = sum(
                await LedgerEntry.filter(fan_id=delivery.fan_id).values_list("amount", flat=True)  # type: ignore[arg-type]
            )
            upcoming = next_tier(self.rules, points)
            if upcoming is None or upcoming[0] != FanTier(ref):
                return None
            values.update(points=str(upcoming[1]), tier=ref.replace("_", " ").title())
        if drop_id is not None:
            drop = await self._drop(drop_id)
            values.update(drop=drop.title, drop_id=str(drop.id))
            values["countdown"] = _countdown(drop, self.clock.now())
        return values


def _countdown(drop: Drop, now: datetime) -> str:
    if drop.opens_at is not None and drop.opens_at > now:
        return "opens " + _in(drop.opens_at - now)
    if drop.closes_at is not None and drop.closes_at > now:
        return "closes " + _in(drop.closes_at - now)
    return "open now" if drop.status == "open" else str(drop.status.value).replace("_", " ")


def _in(left: timedelta) -> str:
    minutes = int(left.total_seconds() // 60)
    hours, mins = divmod(minutes, 60)
    if hours >= 48:
        return f"in {hours // 24} days"
    return f"in {hours} h {mins} min" if hours else f"in {max(mins, 1)} min"


async def _skip(delivery_id: int, reason: str) -> None:
    await _finish(delivery_id, DeliveryStatus.SKIPPED, reason)


async def _requeue(delivery_id: int, not_before: datetime) -> None:
    await Delivery.filter(id=delivery_id, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.QUEUED, not_before=not_before, claimed_at=None
    )


async def _finish(
    delivery_id: int,
    status: DeliveryStatus,
    reason: str | None,
    *,
    sent_at: datetime | None = None,
    code: str | None = None,
) -> None:
    await sql.rows(
        _FINISH, status=status.value, reason=reason, sent_at=sent_at, code=code, id=delivery_id
    )
