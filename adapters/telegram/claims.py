"""The Telegram way to claim a membership moved in from another tool (`dropcast plan
import`): a deep link that opens the chat with the bot and sends `/start claim_<code>`
(core.telegram.org/bots/features#deep-linking: the start parameter is up to 64 of
A-Z, a-z, 0-9, _ and -, which the claim codes are made of)."""

from __future__ import annotations

START = "claim_"


def claim_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={START}{code}"
