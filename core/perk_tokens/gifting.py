"""Gifting a token, once, through a link: its holder asks for a gift code (nothing changes
yet), and the first other fan who opens it takes the token, by one conditional update
(`gifted_at IS NULL`). A token given away cannot be gifted again; a redeemed or expired one
cannot be gifted at all; and opening one's own gift (from a linked account too: one fan)
changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from core import sql
from core.bus import EventBus
from core.errors import InvalidState, NotFound
from core.events import TokenGiven
from core.fans import FanRef, fan_id_of
from core.models import PerkToken
from core.perk_tokens.codes import GIFT, REDEEM, token_id_in
from core.perk_tokens.words import token_name
from core.ports import Clock
from core.signing import Keyring

_TAKE = (
    'UPDATE "perk_token" SET "holder_id" = {fan_id}, "gifted_by_id" = "holder_id", '
    '"gifted_at" = {now} WHERE "id" = {id} AND "gifted_at" IS NULL AND "redeemed_at" IS NULL '
    'AND "expired_at" IS NULL AND "expires_at" > {now} AND "holder_id" IS NOT NULL '
    'AND "holder_id" <> {fan_id} RETURNING "id"'
)


@dataclass(frozen=True, slots=True)
class GiftCode:
    name: str  # the token's, "Night owls #3"
    code: str  # opened by the fan it is given to (a Telegram deep link carries it)


class Gifting:
    def __init__(self, clock: Clock, bus: EventBus, keyring: Keyring) -> None:
        self.clock = clock
        self.bus = bus
        self.keyring = keyring

    async def gift_code_as(self, code: str, fan: FanRef) -> GiftCode:
        """`/token gift`, `/gift CODE`: the holder's gift code for a token they may give."""
        token_id = token_id_in(await self.keyring.signer(), REDEEM, code)
        return await self.gift_code_tapped(token_id, fan)

    async def gift_code_tapped(self, token_id: int, fan: FanRef) -> GiftCode:
        """The Gift button under a token in `/me`: only its holder gets a gift code."""
        token = await _token(token_id)
        _check_giftable(token, await fan_id_of(fan), self.clock.now() < token.expires_at)
        code = (await self.keyring.signer()).sign(GIFT, [token.id])
        return GiftCode(token_name(token.token_set, token.number), code)

    async def accept_as(self, gift_code: str, fan: FanRef) -> str:
        """The gift link opened: the token is the opener's now; returns its name."""
        token = await _token(token_id_in(await self.keyring.signer(), GIFT, gift_code))
        fan_id, now = await fan_id_of(fan), self.clock.now()
        async with self.bus.transaction() as changes:
            if await sql.rows(_TAKE, fan_id=fan_id, now=now, id=token.id):
                changes.add(TokenGiven(now, token.id, fan_id, gifted=True))
                return token_name(token.token_set, token.number)
        token = await _token(token.id)
        if token.holder_id == fan_id and token.gifted_at is not None:
            raise InvalidState("that gift is yours already")
        if token.holder_id == fan_id:
            raise InvalidState("that is your own token: send the link to someone else")
        if token.gifted_at is not None:
            raise InvalidState("that gift was taken already: a token is gifted once")
        _check_giftable(token, None, now < token.expires_at)
        raise InvalidState("that token cannot be gifted")


async def _token(token_id: int) -> PerkToken:
    token = await PerkToken.get_or_none(id=token_id).select_related("token_set")
    if token is None:
        raise NotFound("that token does not exist (any more)")
    return token


def _check_giftable(token: PerkToken, holder: int | None, live: bool) -> None:
    """A holder may give their token while it is unredeemed, unexpired, and never gifted."""
    if holder is not None and token.holder_id != holder:
        raise InvalidState("that token is not yours: only its holder can gift it")
    if token.redeemed_at is not None:
        raise InvalidState("that token was redeemed already: it cannot be gifted")
    if token.expired_at is not None or not live:
        raise InvalidState("that token expired: it cannot be gifted")
    if token.gifted_at is not None:
        raise InvalidState("that token was a gift already: a token is gifted once")
