"""One line of `dropcast doctor`'s checklist: pure data, so each platform's adapter can say
what it found without knowing how the checklist is shown (bots/doctor_cli.py)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.kinds import Platform
from core.models import Community, Perk


class Severity(StrEnum):
    BREAKS_A_DROP = "breaks a drop"
    WARNING = "warning"


@dataclass(frozen=True)
class Check:
    """What was checked, whether it holds, and when it does not, the exact fix. `skipped`
    marks a platform that is simply not configured: listed, never a failure."""

    name: str
    ok: bool
    detail: str = ""
    fix: str = ""
    severity: Severity = Severity.BREAKS_A_DROP
    skipped: bool = False

    @property
    def breaks_a_drop(self) -> bool:
        return not self.ok and self.severity == Severity.BREAKS_A_DROP


def passed(name: str, detail: str = "") -> Check:
    return Check(name, True, detail)


def failed(name: str, detail: str, fix: str, severity: Severity = Severity.BREAKS_A_DROP) -> Check:
    return Check(name, False, detail, fix, severity)


def not_configured(name: str, setting: str) -> Check:
    return Check(name, True, f"not configured ({setting} is not set)", skipped=True)


@dataclass(frozen=True)
class Place:
    """A connected community as the doctor checks it: the chat or server, and where drops go."""

    name: str
    ref: str
    channel_ref: str | None


@dataclass(frozen=True)
class PerkPlace:
    """A perk as the doctor checks it: where it lives (a chat, a server) and its role, if any."""

    name: str
    place_ref: str
    ref: str


async def connected_places(platform: str) -> list[Place]:
    """The communities connected on `platform` ("discord", "telegram")."""
    rows = await Community.filter(platform=Platform(platform)).order_by("id")
    return [Place(row.name, row.platform_ref, row.announce_channel_ref) for row in rows]


async def connected_perks(platform: str, place_ref: str | None = None) -> list[PerkPlace]:
    """The perks on `platform`, those of one place (a Discord server) when it is named."""
    rows = Perk.filter(platform=Platform(platform)).order_by("id")
    if place_ref is not None:
        rows = rows.filter(place_ref=place_ref)
    return [PerkPlace(row.name, row.place_ref, row.ref) for row in await rows]
