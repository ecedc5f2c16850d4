"""What tokens owe fans and communities, delivered as notices (core/subscriptions.py): the
DM that tells a fan a token is theirs, the perk that follows a redeem or a window, and a
redeemed shout-out's post.

A token DM is transactional, like a receipt: it tells a fan about something they now hold
(its code is how they use it), so it reaches fans who opted out of campaigns; a fan whose
DMs are closed is not tried (the platform adapters' rule), and `/me` shows the token anyway."""

from __future__ import annotations

from core.events import TokenGiven, TokenRedeemed, TokenWindowMoved
from core.messages import ShoutOut, TokenReceived
from core.models import Fan, Perk, PerkToken
from core.perk_tokens.codes import REDEEM
from core.perk_tokens.words import perk_words, token_name
from core.perks import PerkService
from core.ports import Announcer, FanMessenger
from core.signing import Keyring


class TokenNews:
    def __init__(
        self, messenger: FanMessenger, announcer: Announcer, keyring: Keyring, perks: PerkService
    ) -> None:
        self.messenger = messenger
        self.announcer = announcer
        self.keyring = keyring
        self.perks = perks

    async def given(self, event: TokenGiven) -> None:
        """The token is the fan's: what it gives, until when, and its code."""
        token = await PerkToken.get(id=event.token_id).select_related("token_set")
        if token.holder_id != event.fan_id or token.redeemed_at or token.expired_at:
            return  # gone on since (gifted, redeemed, expired): /me says how it is
        perk = (
            await Perk.get_or_none(id=token.token_set.perk_id) if token.token_set.perk_id else None
        )
        message = TokenReceived(
            token_name(token.token_set, token.number),
            perk_words(token.token_set, perk.title if perk else None),
            token.expires_at,
            (await self.keyring.signer()).sign(REDEEM, [token.id]),
            event.gifted,
        )
        await self.messenger.send(event.fan_id, message)

    async def follow(self, event: TokenRedeemed | TokenWindowMoved) -> None:
        """The fan's perks follow the token's window, with the cause in the access log."""
        token = await PerkToken.get(id=event.token_id).select_related("token_set")
        name = token_name(token.token_set, token.number)
        match event:
            case TokenRedeemed():
                cause = f"token {name} redeemed"
            case TokenWindowMoved(started=True):
                cause = f"token {name}: its window started"
            case _:
                cause = f"token {name}: its window ended"
        await self.perks.reconcile(event.fan_id, cause)

    async def shout_out(self, event: TokenRedeemed, community_id: int) -> None:
        """The fan redeemed a shout-out: they asked to be named, so they are."""
        token = await PerkToken.get(id=event.token_id).select_related("token_set")
        fan = await Fan.get(id=event.fan_id)
        name = token_name(token.token_set, token.number)
        await self.announcer.shout_out(
            community_id, ShoutOut(fan.display_name, fan.tier.value, name)
        )
