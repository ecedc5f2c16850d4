"""Telling Telegram's refusals apart, as python-telegram-bot raises them.

PTB rewrites a description before raising it (in `TelegramError`'s constructor): a leading
"Bad Request: " is cut off and the rest capitalised, which lowercases every later letter, so
Telegram's `Bad Request: CHARGE_ALREADY_REFUNDED` is raised as `Charge_already_refunded`. A
branch that looks for Telegram's own words never matches; `said` puts them through the same
rewrite first, so callers write them as Telegram sends them.
"""

from __future__ import annotations

from telegram.error import TelegramError


def said(error: TelegramError, *descriptions: str) -> bool:
    """Whether Telegram refused with one of `descriptions` (or one of them, continued)."""
    return any(error.message.startswith(TelegramError(d).message) for d in descriptions)
