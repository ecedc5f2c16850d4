"""A plan as a creator types it, wherever they type it: `dropcast plan create`, Discord's
`/plan create` (one option per field) and Telegram's `/plan_create` (one line). All three
read their text here, so a price or a perk list means the same everywhere, and
`PlanSpec.checked` refuses a bad one before anything is stored."""

from __future__ import annotations

from collections.abc import Sequence

from core.drops.specs import whole_number
from core.errors import InvalidInput
from core.memberships.plans import PlanSpec
from core.money import parse_price

PLAN_LINE_HELP = (
    "/plan_create NAME | PRICE [| OPTIONS], e.g. /plan_create Backstage club | 5.00 EUR | "
    "period=yearly stars=250 trial=7 perks=backstage,vip early=30. Options, any of: period "
    "(monthly, the default, or yearly), stars (Telegram Stars per 30 days), trial (free days), "
    "perks (perk names, comma-separated), early (minutes of early access to drops)."
)
# the one-line form's option names, and the plan field each fills
OPTIONS = {"period", "stars", "trial", "perks", "early"}


def plan_spec(
    name: str,
    price: str,
    *,
    period: str = "monthly",
    stars: int | None = None,
    trial_days: int = 0,
    perks: str | Sequence[str] = (),
    early_access: int = 0,
    lapsed_perk: str | None = None,
) -> PlanSpec:
    """A checked plan from what the creator typed: the price as "AMOUNT CURRENCY", the
    perks as names (in one text, separated by commas or spaces)."""
    names = perks.replace(",", " ").split() if isinstance(perks, str) else list(perks)
    return PlanSpec(
        name,
        parse_price(price),
        period,
        stars,
        trial_days,
        tuple(names),
        early_access,
        lapsed_perk=lapsed_perk or None,
    ).checked()


def parse_plan_line(text: str) -> PlanSpec:
    """`/plan_create`'s one line (PLAN_LINE_HELP)."""
    parts = [part.strip() for part in text.split("|")]
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise InvalidInput(f"write it as {PLAN_LINE_HELP}")
    options: dict[str, str] = {}
    for token in (parts[2] if len(parts) == 3 else "").split():
        key, sep, value = token.partition("=")
        key = key.lower()
        if not sep or key not in OPTIONS or not value:
            raise InvalidInput(f"{token!r} is not one of the options: {PLAN_LINE_HELP}")
        if key in options:
            raise InvalidInput(f"{key} is given twice")
        options[key] = value
    stars = options.get("stars")
    return plan_spec(
        parts[0],
        parts[1],
        period=options.get("period", "monthly").lower(),
        stars=None if stars is None else whole_number(stars, "stars"),
        trial_days=whole_number(options.get("trial", "0"), "trial"),
        perks=options.get("perks", ""),
        early_access=whole_number(options.get("early", "0"), "early"),
    )
