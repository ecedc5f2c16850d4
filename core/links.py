"""Tracked short links: `base/l/{code}` redirects to the target and counts the tap.

Discord link buttons give no click signal, so every pay link a fan sees goes through here.
"""

from __future__ import annotations

import secrets

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from core.models.links import Link, LinkClick
from core.ports import Clock


class Links:
    def __init__(self, clock: Clock, base_url: str) -> None:
        self.clock = clock
        self.base_url = base_url.rstrip("/")

    async def shorten(self, target: str, *, purpose: str, ref: str) -> str:
        """The short URL for this purpose and ref, made on first request."""
        existing = await Link.get_or_none(purpose=purpose, ref=ref)
        if existing is None:
            try:
                existing = await Link.create(
                    code=secrets.token_urlsafe(6),
                    target=target,
                    purpose=purpose,
                    ref=ref,
                    created_at=self.clock.now(),
                )
            except IntegrityError:  # made concurrently for the same purpose and ref
                existing = await Link.get(purpose=purpose, ref=ref)
        return f"{self.base_url}/l/{existing.code}"

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
