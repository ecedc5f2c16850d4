"""Where signed pay links (core/offers.py) come from: the creator's `dropcast drop link`, for
anyone, and a fan's own offer, which also signs what the fan is entitled to when it is made
(a member's price, early access), so the page never has to ask, nor trust the fan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.drops.members import member_minutes
from core.errors import InvalidInput, InvalidState, NotFound
from core.kinds import DropStatus, FanTier
from core.models import Campaign, Drop, DropTier, Fan, LiveSession
from core.offers import Offer, Offers

DEFAULT_DAYS = 30  # a drop without a closing time: long enough for a post, a bio, a DM
MOST_DAYS = 365
LINKABLE = (DropStatus.SCHEDULED, DropStatus.OPEN, DropStatus.SOLD_OUT)


@dataclass(frozen=True, slots=True)
class Where:
    """Where a link is given: a campaign, a live session, or neither (anywhere)."""

    campaign_id: int | None = None
    session_id: int | None = None


class OfferLinks:
    def __init__(self, offers: Offers) -> None:
        self.offers = offers

    async def for_drop(
        self,
        drop: str,
        *,
        tier: int | None = None,
        where: Where | None = None,
        days: int | None = None,
    ) -> str:
        """The link to `drop` (its code, or its number) for anyone, opened at its `tier`-th
        tier (as `dropcast drop show` lists them); it lasts `days`, or until the drop
        closes, or DEFAULT_DAYS."""
        found = await Drop.get_or_none(code=drop)
        if found is None and drop.isdigit() and len(drop) < 10:
            found = await Drop.get_or_none(id=int(drop))
        found = _linkable(found, repr(drop))
        tier_id = await _tier_id(found, tier) if tier is not None else None
        source = await _source(where or Where())
        expires_at = self._expiry(found, days)
        offer = Offer(found.code, expires_at, tier_id=tier_id, source=source)
        return await self.offers.link(offer)

    async def for_fan(
        self, drop_id: int, fan_id: int, *, tier_id: int | None = None, source: str = ""
    ) -> str:
        """The fan's own link to the drop, signed with what they are entitled to now: their
        member's price and early access (core/drops/members.py), or their recognition tier's
        early access. It lasts until the drop closes, or DEFAULT_DAYS."""
        found = _linkable(await Drop.get_or_none(id=drop_id), f"#{drop_id}")
        fan = await Fan.get_or_none(id=fan_id)
        if fan is None:
            raise NotFound(f"there is no fan #{fan_id}")
        now = self.offers.clock.now()
        minutes = await member_minutes(fan_id, now)
        early_tier = FanTier(found.early_access_tier) if found.early_access_tier else None
        early = bool(minutes) or (
            early_tier is not None and FanTier(fan.tier).rank >= early_tier.rank
        )
        offer = Offer(
            found.code, self._expiry(found, None), tier_id=tier_id, fan_id=fan_id,
            source=source, member=minutes is not None, early=early,
        )  # fmt: skip
        return await self.offers.link(offer)

    def _expiry(self, drop: Drop, days: int | None) -> datetime:
        now = self.offers.clock.now()
        if days is not None:
            if not 1 <= days <= MOST_DAYS:
                raise InvalidInput(f"--days must be 1 to {MOST_DAYS}, not {days}")
            return now + timedelta(days=days)
        if drop.closes_at is not None and drop.closes_at > now:
            return drop.closes_at
        return now + timedelta(days=DEFAULT_DAYS)


def _linkable(drop: Drop | None, named: str) -> Drop:
    """The drop, unless a link to it would lead nowhere useful: none, a draft, one ended."""
    if drop is None:
        raise NotFound(f"there is no drop {named}")
    if drop.status == DropStatus.DRAFT:
        raise InvalidState(f"{drop.title} is a draft: schedule or open it first")
    if drop.status not in LINKABLE:
        raise InvalidState(f"{drop.title} is {drop.status}: a link to it would sell nothing")
    return drop


async def _tier_id(drop: Drop, place: int) -> int:
    tiers = await DropTier.filter(drop_id=drop.id).order_by("position", "id")
    if not 1 <= place <= len(tiers):
        raise InvalidInput(f"{drop.title} has tiers 1 to {len(tiers)}, not {place}")
    return tiers[place - 1].id


async def _source(where: Where) -> str:
    if where.campaign_id is not None and where.session_id is not None:
        raise InvalidInput("a link is given in a campaign or in a live session, not both")
    if where.campaign_id is not None:
        if not await Campaign.exists(id=where.campaign_id):
            raise NotFound(f"there is no campaign #{where.campaign_id}")
        return f"campaign:{where.campaign_id}"
    if where.session_id is not None:
        if not await LiveSession.exists(id=where.session_id):
            raise NotFound(f"there is no live session #{where.session_id}")
        return f"session:{where.session_id}"
    return ""
