"""Everything the creator reads about perk tokens at once: the dashboard's Tokens page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.perk_tokens.comeback import Comeback, comeback
from core.perk_tokens.figures import SetFigures, set_figures


@dataclass(frozen=True, slots=True)
class TokenReport:
    at: datetime
    sets: list[SetFigures]
    comeback: Comeback


async def token_report(now: datetime) -> TokenReport:
    return TokenReport(now, await set_figures(), await comeback())
