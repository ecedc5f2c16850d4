"""A set's numbers: minted, claimed (given to a fan), gifted, redeemed, expired (of those
claimed), and how many still wait for a holder, counted from the tokens' own timestamps in
one statement for all the sets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core import sql
from core.models import Perk, PerkTokenSet
from core.perk_tokens.rules import Rule
from core.perk_tokens.words import perk_words

_COUNTS = (
    'SELECT "token_set_id", COUNT(*) AS "minted", COUNT("claimed_at") AS "claimed", '
    'COUNT("gifted_at") AS "gifted", COUNT("redeemed_at") AS "redeemed", '
    'COUNT(CASE WHEN "claimed_at" IS NOT NULL THEN "expired_at" END) AS "expired" '
    'FROM "perk_token" WHERE "token_set_id" IN ({ids}) '
    'GROUP BY "token_set_id"'
)


@dataclass(frozen=True, slots=True)
class SetFigures:
    id: int
    name: str
    perk: str  # what a token gives, in words
    rule: str  # who got them, in words
    expires_at: datetime
    drawn: bool | None  # a giveaway: drawn yet; None for a rule's set
    seed: str  # a giveaway's seed: anyone can draw it again (core/perk_tokens/rules.py)
    minted: int
    claimed: int
    gifted: int
    redeemed: int
    expired: int

    @property
    def unclaimed(self) -> int:
        return self.minted - self.claimed


async def set_figures(set_id: int | None = None) -> list[SetFigures]:
    """Every set's figures, newest first (or one set's)."""
    query = PerkTokenSet.all() if set_id is None else PerkTokenSet.filter(id=set_id)
    sets = await query.order_by("-id")
    if not sets:
        return []
    counts = {
        int(row["token_set_id"]): row
        for row in await sql.rows(_COUNTS, ids=[token_set.id for token_set in sets])
    }
    titles = dict(await Perk.all().values_list("id", "title"))
    figures = []
    for token_set in sets:
        row = counts.get(token_set.id, {})
        rule = Rule(token_set.rule, token_set.source)
        counted = [
            int(row.get(name) or 0)
            for name in ("minted", "claimed", "gifted", "redeemed", "expired")
        ]
        drawn = token_set.drawn_at is not None
        figures.append(
            SetFigures(
                token_set.id,
                token_set.name,
                perk_words(token_set, titles.get(token_set.perk_id)),
                rule.describe(),
                token_set.expires_at,
                drawn if token_set.rule == "giveaway" else None,
                token_set.seed if drawn else "",
                *counted,
            )
        )
    return figures
