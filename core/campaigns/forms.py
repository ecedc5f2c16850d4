"""A campaign as a creator types it in a chat, on either platform:

After the show
to: listened=3 not_bought=2
when: after session 3 +15m        (or: now, +2h, 2026-12-04T20:00+01:00)
A: Only a few left, {name}: {link}
B: {name}, yours? {link}
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from core.campaigns.segments import Segment
from core.errors import InvalidInput
from core.times import parse_when

_AFTER = re.compile(r"^after\s+(?:session\s+)?#?(?P<id>\d+)(?:\s*\+\s*(?P<m>\d+)\s*m?)?$", re.I)
HELP = (
    "Write the campaign under /campaign:\n"
    "After the show\n"
    "to: listened=3 not_bought=2\n"
    "when: after session 3 +15m (or now, +2h, 2026-12-04T20:00+01:00)\n"
    "A: Only a few left, {name}: {link}\n"
    "B: {name}, yours? {link} (optional: a second variant for an A/B test)\n"
    "Filters: listened, not_bought, bought, bought_within, abandoned, tier, lapsed, platform."
)


@dataclass(frozen=True, slots=True)
class Schedule:
    send_at: datetime | None = None  # None and no session: now
    after_session: int | None = None
    after_minutes: int = 0


@dataclass(frozen=True, slots=True)
class CampaignForm:
    name: str
    segment: Segment
    schedule: Schedule
    variants: list[str]


def parse_schedule(text: str, *, now: datetime, zone: str) -> Schedule:
    text = text.strip()
    if not text or text.lower() == "now":
        return Schedule()
    if after := _AFTER.match(text):
        return Schedule(after_session=int(after["id"]), after_minutes=int(after["m"] or 0))
    return Schedule(send_at=parse_when(text, now=now, zone=zone))


def parse_form(text: str, *, now: datetime, zone: str) -> CampaignForm:
    """The name on the first line, then `to:`, `when:`, `A:`, `B:`… lines (any order)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        raise InvalidInput("the campaign needs a name on the first line")
    fields: dict[str, str] = {}
    for line in lines[1:]:
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if not sep or not (key in ("to", "when") or re.fullmatch(r"[a-h]", key)):
            raise InvalidInput(f"{line[:40]!r}: start each line with to:, when:, A: or B:")
        fields[key] = value.strip()
    variants = [fields[label] for label in "abcdefgh" if label in fields]
    if not variants:
        raise InvalidInput("write the message on an A: line (and a B: line for an A/B test)")
    return CampaignForm(
        lines[0],
        Segment.from_words(fields.get("to", "")),
        parse_schedule(fields.get("when", ""), now=now, zone=zone),
        variants,
    )
