"""Who gets a set's tokens: the first N buyers of a drop, the listeners of a session over M
minutes, a session's live-code claimers, a segment (core/campaigns/segments.py), or a
giveaway among a session's attendees, drawn once when it ends. Each rule lists the eligible
fans in its order of merit; the first N of them get tokens #1..#N, and a fan gets one at
most. A giveaway is fair and can be drawn again by anyone: its attendees are sorted by fan
id and sampled with a generator seeded by the set's stored seed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.functions import Min
from tortoise.queryset import QuerySet

from core.campaigns.segments import Segment
from core.errors import InvalidInput, NotFound
from core.kinds import LiveStatus, OrderStatus
from core.models import Attendance, Drop, LedgerEntry, LiveCode, LiveSession, Order

BUYERS, LISTENERS, CLAIMERS, SEGMENT, GIVEAWAY = (
    "buyers", "listeners", "claimers", "segment", "giveaway",
)  # fmt: skip
HOW = (
    "buyers:DROP, listeners:SESSION:MINUTES, claimers:SESSION, giveaway:SESSION or "
    "segment:'FILTERS' (as `dropcast campaign` takes them)"
)


@dataclass(frozen=True, slots=True)
class Rule:
    kind: str
    source: dict[str, object]

    @classmethod
    def from_words(cls, text: str) -> Rule:
        """`buyers:12`, `listeners:3:20`, `claimers:3`, `giveaway:3`, `segment:listened=3`."""
        kind, _, rest = text.strip().partition(":")
        kind = kind.lower()
        if kind == SEGMENT:
            return cls(kind, {"segment": Segment.from_words(rest).to_json()})
        parts = rest.split(":")
        wanted = {BUYERS: 1, LISTENERS: 2, CLAIMERS: 1, GIVEAWAY: 1}.get(kind)
        if wanted is None or len(parts) != wanted or not all(_number(p) for p in parts):
            raise InvalidInput(f"{text!r} is not a rule: one of {HOW}")
        numbers = [int(part.lstrip("#")) for part in parts]
        if kind == BUYERS:
            return cls(kind, {"drop": numbers[0]})
        if kind == LISTENERS:
            return cls(kind, {"session": numbers[0], "minutes": numbers[1]})
        return cls(kind, {"session": numbers[0]})

    def describe(self) -> str:
        match self.kind:
            case "buyers":
                return f"first buyers of drop #{self.source['drop']}"
            case "listeners":
                return (
                    f"listeners of session #{self.source['session']} over "
                    f"{self.source['minutes']} min"
                )
            case "claimers":
                return f"live-code claimers of session #{self.source['session']}"
            case "giveaway":
                return f"giveaway among attendees of session #{self.source['session']}"
        return f"segment {self._segment().describe()}"

    async def check(self) -> None:
        """The drop or session the rule names exists (and a giveaway's was not called off)."""
        if "drop" in self.source and not await Drop.exists(id=self.source["drop"]):
            raise NotFound(f"there is no drop #{self.source['drop']}")
        if "session" in self.source:
            session = await LiveSession.get_or_none(id=self.source["session"])
            if session is None:
                raise NotFound(f"there is no live session #{self.source['session']}")
            if session.status == LiveStatus.CANCELLED:
                raise InvalidInput(f"session #{session.id} was called off: nobody attended it")

    async def eligible(self, now: datetime) -> list[int]:
        """The fans who qualify, best first (a giveaway's, sorted by fan id, to be drawn)."""
        match self.kind:
            case "buyers":
                firsts = (
                    Order.filter(tier__drop_id=self.source["drop"], status=OrderStatus.PAID)
                    .annotate(first=Min("id"))
                    .group_by("fan_id")
                    .order_by("first")
                )
                return [int(fan) for fan, _ in await firsts.values_list("fan_id", "first")]
            case "listeners":
                listened = Attendance.filter(
                    session_id=self.source["session"], minutes__gte=self.source["minutes"]
                ).order_by("-minutes", "first_seen_at", "fan_id")
                return await _fan_ids(listened, "fan_id")
            case "claimers":
                codes = await LiveCode.filter(session_id=self.source["session"]).values_list(
                    "id", flat=True
                )
                claims = LedgerEntry.filter(
                    reason="live_code", source_id__in=[f"code:{code}" for code in codes]
                ).order_by("created_at", "id")
                return list(dict.fromkeys(await _fan_ids(claims, "fan_id")))
            case "giveaway":
                attended = Attendance.filter(session_id=self.source["session"]).order_by("fan_id")
                return await _fan_ids(attended, "fan_id")
        return await _fan_ids(self._segment().fans(now).order_by("id"), "id")

    def _segment(self) -> Segment:
        stored = self.source["segment"]
        assert isinstance(stored, dict)
        return Segment.from_json(stored)


def draw(attendees: list[int], count: int, seed: str) -> list[int]:
    """`count` of the attendees, each equally likely; the same seed draws the same fans."""
    return random.Random(seed).sample(sorted(attendees), min(count, len(attendees)))


async def _fan_ids(query: QuerySet[Any], column: str) -> list[int]:
    return [int(row) for row in await query.values_list(column, flat=True)]  # type: ignore[call-overload]


def _number(text: str) -> bool:
    return text.lstrip("#").isdigit() and 1 <= int(text.lstrip("#")) <= 2**31 - 1
