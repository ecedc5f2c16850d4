"""Tracked short links: `base/l/{code}` redirects to the target and counts the tap.

Discord link buttons give no click signal, so every pay link a fan sees goes through here.
"""

from __future__ import annotations

import secrets

from tortoise.expressions import F

from core import sql
from core.models.links import Link, LinkClick
from core.ports import Clock

# asked again for the same purpose and ref (made concurrently, or before): the first one's
_MAKE = (
    'INSERT INTO "link" ("code", "target", "purpose", "ref", "clicks", "created_at") '
    'VALUES ({code}, {target}, {purpose}, {ref}, 0, {now}) ON CONFLICT ("purpose", "ref") '
    'DO NOTHING RETURNING "code"'
)
_FIND = 'SELECT "code" FROM "link" WHERE "purpose" = {purpose} AND "ref" = {ref}'


class ShortLinks:
    def __init__(self, clock: Clock, base_url: str) -> None:
        self.clock = clock
        self.base_url = base_url.rstrip("/")

    async def shorten(self, target: str, *, purpose: str, ref: str) -> str:
        """The short URL for this purpose and ref, made on first request (one statement:
        every campaign DM makes one, bench/broadcast.py)."""
        code = secrets.token_urlsafe(6)
        now = self.clock.now()
        made = await sql.rows(_MAKE, code=code, target=target, purpose=purpose, ref=ref, now=now)
        if not made:
            code = (await sql.rows(_FIND, purpose=purpose, ref=ref))[0]["code"]
        return f"{self.base_url}/l/{code}"

    async def url_of(self, code: str) -> str | None:
        """The short URL of a code we made, without counting a tap; None otherwise."""
        if not _well_formed(code) or not await Link.exists(code=code):
            return None
        return f"{self.base_url}/l/{code}"

    async def follow(self, code: str) -> str | None:
        """Count a tap and return where it goes; None for a code we never made."""
        if not _well_formed(code):
            return None
        now = self.clock.now()
        counted = await Link.filter(code=code).update(clicks=F("clicks") + 1, last_clicked_at=now)
        if not counted:
            return None
        link = await Link.get(code=code)
        await LinkClick.create(link_id=link.id, at=now)
        return link.target


def _well_formed(code: str) -> bool:
    return code.replace("-", "").replace("_", "").isalnum() and len(code) <= 16
