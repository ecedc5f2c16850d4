"""Pay links with the offer signed in: `base/l/{code}`, where the code itself says which
drop (and tier), for which fan where known, from which campaign or live session, until when,
and what the fan was entitled to when it was made (a member's price, early access).

So a tap is answered from the code alone, without waiting on the database, and what a page
offers a fan is decided by what we signed, never by anything the fan can edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from core.ports import Clock
from core.signing import Keyring

PURPOSE = "offer"


@dataclass(frozen=True, slots=True)
class Offer:
    drop_code: str
    expires_at: datetime
    tier_id: int | None = None
    fan_id: int | None = None
    source: str = ""  # where the link was given: "campaign:12", "session:3", "" (anywhere)
    member: bool = False
    early: bool = False


class Offers:
    def __init__(self, clock: Clock, keyring: Keyring, base_url: str) -> None:
        self.clock = clock
        self.keyring = keyring
        self.base_url = base_url.rstrip("/")

    async def code(self, offer: Offer) -> str:
        flags = ("m" if offer.member else "") + ("e" if offer.early else "")
        fields = (
            offer.drop_code,
            "" if offer.tier_id is None else offer.tier_id,
            "" if offer.fan_id is None else offer.fan_id,
            offer.source,
            int(offer.expires_at.timestamp()),
            flags,
        )
        return (await self.keyring.signer()).sign(PURPOSE, fields)

    async def link(self, offer: Offer) -> str:
        """The tracked pay link a fan taps."""
        return f"{self.base_url}/l/{await self.code(offer)}"

    async def read(self, code: str) -> Offer | None:
        """The offer a code carries; None when it is not one we signed, or has expired."""
        fields = (await self.keyring.signer()).read(PURPOSE, code)
        if fields is None or len(fields) != 6:
            return None
        drop_code, tier, fan, source, expires, flags = fields
        expires_at = datetime.fromtimestamp(int(expires), UTC)
        if expires_at <= self.clock.now():
            return None
        return Offer(
            drop_code=drop_code,
            expires_at=expires_at,
            tier_id=int(tier) if tier else None,
            fan_id=int(fan) if fan else None,
            source=source,
            member="m" in flags,
            early="e" in flags,
        )
