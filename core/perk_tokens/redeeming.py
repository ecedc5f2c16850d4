"""Redeeming a token, once: one conditional update that only its holder's redeem, before it
expires, can make (README: Perk tokens). Two redeems at once: one wins; the other is told
it was redeemed. The perk follows as a notice: a perk set's Perk through the perks'
reconciliation, member prices and early access from the drops' view of a member
(core/drops/members.py), a shout-out posted once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core import sql
from core.bus import EventBus
from core.errors import InvalidState, NotFound
from core.events import TokenRedeemed
from core.fans import FanRef, fan_id_of
from core.models import Perk, PerkToken, PerkTokenSet, TokenPerk
from core.perk_tokens.codes import REDEEM, token_id_in
from core.perk_tokens.words import perk_words, token_name
from core.ports import Clock
from core.signing import Keyring

_REDEEM = (
    'UPDATE "perk_token" SET "redeemed_at" = {now}, "perk_from" = {start}, "perk_until" = {end}, '
    '"perk_given_at" = {given} WHERE "id" = {id} AND "holder_id" = {fan_id} '
    'AND "redeemed_at" IS NULL AND "expired_at" IS NULL AND "expires_at" > {now} RETURNING "id"'
)


@dataclass(frozen=True, slots=True)
class Redeemed:
    name: str
    perk: str
    starts_at: datetime | None  # the perk's window (None: a shout-out, which has none)
    ends_at: datetime | None


class Redeeming:
    def __init__(self, clock: Clock, bus: EventBus, keyring: Keyring) -> None:
        self.clock = clock
        self.bus = bus
        self.keyring = keyring

    async def redeem_as(self, code: str, fan: FanRef) -> Redeemed:
        """`/token redeem`, `/redeem CODE`: the platform user redeems their token."""
        token_id = token_id_in(await self.keyring.signer(), REDEEM, code)
        return await self.redeem(token_id, await fan_id_of(fan))

    async def redeem_tapped(self, token_id: int, fan: FanRef) -> Redeemed:
        """The Redeem button under a token in `/me`: it only works for the token's holder."""
        return await self.redeem(token_id, await fan_id_of(fan))

    async def redeem(self, token_id: int, fan_id: int) -> Redeemed:
        token = await PerkToken.get_or_none(id=token_id).select_related("token_set")
        if token is None:
            raise NotFound("that token does not exist (any more)")
        token_set, now = token.token_set, self.clock.now()
        start, end = _window(token_set, now)
        given = now if start is not None and start <= now else None
        async with self.bus.transaction() as changes:
            done = await sql.rows(
                _REDEEM, now=now, start=start, end=end, given=given, id=token_id, fan_id=fan_id
            )
            if done:
                changes.add(TokenRedeemed(now, token_id, fan_id, token_set.kind.value))
        if not done:
            await _refusal(token_id, fan_id, now)
        perk = await Perk.get_or_none(id=token_set.perk_id) if token_set.perk_id else None
        words = perk_words(token_set, perk.title if perk else None)
        return Redeemed(token_name(token_set, token.number), words, start, end)


def _window(token_set: PerkTokenSet, now: datetime) -> tuple[datetime | None, datetime | None]:
    if token_set.kind == TokenPerk.SHOUT_OUT:
        return None, None
    if token_set.window_days is not None:
        return now, now + timedelta(days=token_set.window_days)
    return token_set.window_from, token_set.window_until


async def _refusal(token_id: int, fan_id: int, now: datetime) -> None:
    """Why the redeem changed nothing, read after the update lost."""
    token = await PerkToken.get(id=token_id)
    if token.holder_id != fan_id:
        raise InvalidState("that token is not yours: only its holder can redeem it")
    if token.redeemed_at is not None:
        raise InvalidState(f"that token was redeemed already, at {token.redeemed_at:%H:%M} UTC")
    raise InvalidState(f"that token expired on {token.expires_at:%d %b %H:%M} UTC")
