"""The token services wired together, as `Core.tokens`."""

from __future__ import annotations

from dataclasses import dataclass

from core.bus import EventBus
from core.perk_tokens.expiring import Expiring
from core.perk_tokens.gifting import Gifting
from core.perk_tokens.minting import Minting
from core.perk_tokens.news import TokenNews
from core.perk_tokens.redeeming import Redeeming
from core.perks import PerkService
from core.ports import Announcer, Clock, FanMessenger
from core.signing import Keyring


@dataclass(frozen=True, slots=True)
class PerkTokens:
    minting: Minting
    gifting: Gifting
    redeeming: Redeeming
    expiring: Expiring
    news: TokenNews


def perk_tokens(
    clock: Clock,
    bus: EventBus,
    keyring: Keyring,
    perks: PerkService,
    messenger: FanMessenger,
    announcer: Announcer,
) -> PerkTokens:
    return PerkTokens(
        Minting(clock, bus),
        Gifting(clock, bus, keyring),
        Redeeming(clock, bus, keyring),
        Expiring(clock, bus),
        TokenNews(messenger, announcer, keyring, perks),
    )
