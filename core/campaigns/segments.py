"""Segments: filters over what Dropcast already knows about fans, all of which must hold."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta

from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet

from core.errors import InvalidInput
from core.kinds import FanTier, HoldStatus, OrderStatus, Platform
from core.models import Attendance, Fan, Order, PlatformAccount, Reservation

MOST_DAYS = 3650
MOST_ID = 2**31 - 1  # ids are INT columns: 32 bits on PostgreSQL
LARGEST = {
    "listened": MOST_ID, "not_bought": MOST_ID, "bought": MOST_ID, "abandoned": MOST_ID,
    "bought_within": MOST_DAYS, "lapsed": MOST_DAYS,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Segment:
    listened: int | None = None  # was at live session #n
    not_bought: int | None = None  # has no paid order from drop #n
    bought: int | None = None  # has a paid order from drop #n
    bought_within: int | None = None  # bought anything in the last n days
    abandoned: int | None = None  # let a hold on drop #n lapse
    tier: str | None = None  # at this recognition tier or above
    lapsed: int | None = None  # bought before, but nothing for n days
    platform: str | None = None  # has an account there

    def __post_init__(self) -> None:
        for name, most in LARGEST.items():
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or not 1 <= value <= most):
                raise InvalidInput(f"{name} takes a number from 1 to {most}, not {value!r}")
        if self.tier is not None and self.tier not in set(FanTier):
            raise InvalidInput(f"{self.tier!r} is not a tier ({', '.join(FanTier)})")
        if self.platform is not None and self.platform not in set(Platform):
            raise InvalidInput(f"{self.platform!r} is not a platform ({', '.join(Platform)})")

    @classmethod
    def from_words(cls, text: str) -> Segment:
        """`listened=3 not_bought=5 tier=insider`: how admin commands write a segment."""
        given: dict[str, object] = {}
        known = {f.name for f in fields(cls)}
        for word in text.split():
            key, sep, value = word.partition("=")
            key = key.replace("-", "_").lower()
            if not sep or key not in known:
                raise InvalidInput(f"{word!r} is not a filter (known: {', '.join(sorted(known))})")
            given[key] = value.lower() if key in ("tier", "platform") else _number(key, value)
        return cls(**given)  # type: ignore[arg-type]

    @classmethod
    def from_json(cls, stored: dict[str, object]) -> Segment:
        return cls(**stored)  # type: ignore[arg-type]

    def to_json(self) -> dict[str, object]:
        return {key: value for key, value in asdict(self).items() if value is not None}

    def describe(self) -> str:
        words = [f"{key}={value}" for key, value in self.to_json().items()]
        return " ".join(words) or "every fan"

    def fans(self, now: datetime) -> QuerySet[Fan]:
        """The fans in the segment (consent is the outbox's to check, at sending time)."""
        query = Fan.all()
        paid = Order.filter(status=OrderStatus.PAID)
        if self.listened is not None:
            query = query.filter(id__in=_fan_ids(Attendance.filter(session_id=self.listened)))
        if self.not_bought is not None:
            query = query.exclude(id__in=_fan_ids(paid.filter(tier__drop_id=self.not_bought)))
        if self.bought is not None:
            query = query.filter(id__in=_fan_ids(paid.filter(tier__drop_id=self.bought)))
        if self.bought_within is not None:
            since = now - timedelta(days=self.bought_within)
            query = query.filter(id__in=_fan_ids(paid.filter(created_at__gte=since)))
        if self.abandoned is not None:
            lapsed = Reservation.filter(status=HoldStatus.EXPIRED, tier__drop_id=self.abandoned)
            query = query.filter(id__in=_fan_ids(lapsed))
        if self.tier is not None:
            at_least = [tier for tier in FanTier if tier.rank >= FanTier(self.tier).rank]
            query = query.filter(tier__in=at_least)
        if self.lapsed is not None:
            since = now - timedelta(days=self.lapsed)
            query = query.filter(id__in=_fan_ids(paid)).exclude(
                id__in=_fan_ids(paid.filter(created_at__gte=since))
            )
        if self.platform is not None:
            accounts = PlatformAccount.filter(platform=self.platform)
            query = query.filter(id__in=_fan_ids(accounts))
        return query


def _fan_ids(query: QuerySet) -> Subquery:  # type: ignore[type-arg]
    return Subquery(query.values("fan_id"))


def _number(key: str, value: str) -> int:
    value = value.lstrip("#")
    if not value.isdigit():
        raise InvalidInput(f"{key} takes a number, not {value!r}")
    return int(value)
