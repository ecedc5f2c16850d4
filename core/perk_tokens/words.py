"""What a token gives, in the words fans and the creator read."""

from __future__ import annotations

from datetime import datetime

from core.models import PerkTokenSet, TokenPerk


def window_words(token_set: PerkTokenSet) -> str:
    if token_set.window_days is not None:
        days = token_set.window_days
        return f"for {days} day{'s' if days != 1 else ''} from redeeming"
    assert token_set.window_from is not None
    assert token_set.window_until is not None
    return f"from {_moment(token_set.window_from)} to {_moment(token_set.window_until)}"


def perk_words(token_set: PerkTokenSet, perk_title: str | None = None) -> str:
    """`perk_title`: the title of the set's Perk, for a set that grants one."""
    match token_set.kind:
        case TokenPerk.EARLY_ACCESS:
            what = f"early access to drops ({token_set.early_minutes} min before opening)"
        case TokenPerk.PERK:
            what = perk_title or "a perk"
        case TokenPerk.MEMBER_PRICE:
            what = "member prices in drops"
        case _:
            return "a shout-out in the community"
    return f"{what} {window_words(token_set)}"


def token_name(token_set: PerkTokenSet, number: int) -> str:
    return f"{token_set.name} #{number}"


def _moment(at: datetime) -> str:
    return f"{at:%a %d %b %H:%M} UTC"
