"""What fans read about perk tokens on every platform: the DM that a token is theirs, `/me`'s
token lines, and the answers to redeeming and gifting. `how_to_redeem` is the platform's
own command, filled in by each adapter."""

from __future__ import annotations

from core.messages import TokenReceived
from core.perk_tokens.gifting import GiftCode
from core.perk_tokens.holding import FanToken
from core.perk_tokens.redeeming import Redeemed


def received(message: TokenReceived) -> str:
    came = "A gift for you" if message.gifted else "You got a perk token"
    return (
        f"🎟 {came}: {message.name}, {message.perk}. Redeem it before "
        f"{message.expires_at:%d %b %H:%M} UTC (Telegram: /redeem {message.code}; Discord: "
        f"/token redeem). Its code: {message.code}"
    )


def token_line(token: FanToken) -> str:
    gift = ", a gift" if token.gifted else ""
    if token.state == "held":
        assert token.until is not None
        line = f"🎟 {token.name}: {token.perk}{gift}. Redeem before {token.until:%d %b %H:%M} UTC"
        return line + (f"\n  ↳ code {token.code}" if token.code else "")
    if token.state == "redeemed" and token.until is not None:
        return f"🎟 {token.name}: {token.perk} (redeemed, until {token.until:%d %b %H:%M} UTC)"
    return f"🎟 {token.name}: {token.perk} ({token.state})"


def redeemed(done: Redeemed) -> str:
    if done.starts_at is None or done.ends_at is None:
        return f"Redeemed {done.name}: {done.perk}. Watch the community!"
    return (
        f"Redeemed {done.name}: {done.perk}. Yours from {done.starts_at:%d %b %H:%M} to "
        f"{done.ends_at:%d %b %H:%M} UTC."
    )


def gift_link(gift: GiftCode, link: str) -> str:
    return (
        f"Your gift link for {gift.name}: the first friend who opens it gets the token (and "
        f"you lose it). Send them:\n{link}"
    )


def accepted(name: str) -> str:
    return f"🎁 {name} is yours now. /me shows it with its code."
