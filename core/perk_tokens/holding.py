"""A fan's tokens as `/me` shows them: each with what it gives, its state and its code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.models import Perk, PerkToken
from core.perk_tokens.codes import REDEEM
from core.perk_tokens.words import perk_words, token_name
from core.signing import Signer


@dataclass(frozen=True, slots=True)
class FanToken:
    """`state`: held, redeemed or expired; `until` is when it expires while held, when its
    window ends once redeemed (None for a shout-out). `code` redeems it, while held."""

    id: int
    name: str
    perk: str
    state: str
    until: datetime | None
    code: str | None
    gifted: bool


async def tokens_of(fan_id: int, signer: Signer | None) -> tuple[FanToken, ...]:
    """The fan's tokens, newest first; with `signer`, each held one carries its code."""
    tokens = await PerkToken.filter(holder_id=fan_id).select_related("token_set").order_by("-id")
    titles = dict(await Perk.all().values_list("id", "title"))
    return tuple(
        FanToken(
            token.id,
            token_name(token.token_set, token.number),
            perk_words(token.token_set, titles.get(token.token_set.perk_id)),
            state,
            token.expires_at if state == "held" else token.perk_until,
            signer.sign(REDEEM, [token.id]) if signer and state == "held" else None,
            token.gifted_at is not None,
        )
        for token in tokens
        for state in [_state(token)]
    )


def _state(token: PerkToken) -> str:
    if token.redeemed_at is not None:
        return "redeemed"
    return "expired" if token.expired_at is not None else "held"
