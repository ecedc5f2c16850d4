"""Taps on each drop's signed pay links, by where the link was given (core/offer_taps.py
writes them about a second after they happen)."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.functions import Count

from core.models import Drop, OfferTap


@dataclass(frozen=True, slots=True)
class TapCount:
    drop_code: str
    title: str  # "" for a drop no longer there
    source: str  # "campaign:12", "session:3", "" (anywhere)
    taps: int
    known_fans: int  # different fans among the tappers, from links made for one fan


async def tap_counts() -> list[TapCount]:
    """Every drop's taps per source, drops by their number, busiest source first."""
    counted = (
        await OfferTap.all()
        .group_by("drop_code", "source")
        .annotate(taps=Count("id"), fans=Count("fan_id", distinct=True))
        .values_list("drop_code", "source", "taps", "fans")
    )
    drops = {
        code: (drop_id, title)
        for drop_id, code, title in await Drop.filter(
            code__in={row[0] for row in counted}
        ).values_list("id", "code", "title")
    }
    rows = [
        TapCount(code, drops.get(code, (0, ""))[1], source, taps, fans)
        for code, source, taps, fans in counted
    ]
    return sorted(rows, key=lambda row: (drops.get(row.drop_code, (0, ""))[0], -row.taps))
