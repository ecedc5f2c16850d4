"""A token's codes, signed with the installation's key (core/signing.py): the code that
redeems it, and the gift code that moves it to another fan. Neither opens anything without
its holder: redeeming also needs the holder, and a gift only moves a giftable token."""

from __future__ import annotations

from core.errors import NotFound
from core.signing import MAC_BYTES, Signer

REDEEM = "token"
GIFT = "token-gift"
_MAC_CHARS = -(-MAC_BYTES * 4 // 3)  # base64 of the MAC, unpadded
UNKNOWN = "that is not a token code: check it and try again"


def token_id_in(signer: Signer, purpose: str, code: str) -> int:
    """The token a code names; anything made up, altered or meant for another use is refused."""
    fields = signer.read(purpose, code.strip())
    if not fields or len(fields) != 1 or not fields[0].isdigit():
        raise NotFound(UNKNOWN)
    return int(fields[0])


def start_param(code: str) -> str:
    """A code as a Telegram deep link carries it: a /start parameter allows no dot, and the
    MAC after the dot has a fixed length, so the dot is simply left out."""
    return code.replace(".", "")


def from_start_param(param: str) -> str:
    if len(param) <= _MAC_CHARS:
        return param
    return f"{param[:-_MAC_CHARS]}.{param[-_MAC_CHARS:]}"
