"""Drop copy variants, for A/B tests of the words a fan reads when a unit is held for them:
plain, scarcity ("only 3 left") and price anchoring (a struck "was" price). Each fan sees
one variant, the same every time; which one is recorded on their hold, so conversion per
variant is fans held → fans paid."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import InvalidInput
from core.money import Money, parse_price

HELP = (
    "variants as LABEL=STYLE separated by spaces, STYLE being plain, scarcity, was:PRICE or "
    "scarcity+was:PRICE, e.g. 'A=plain B=scarcity C=was:30.00'"
)
_VARIANT = re.compile(r"^(?P<label>[A-Za-z0-9]{1,8})=(?P<style>\S+)$")


@dataclass(frozen=True, slots=True)
class CopyVariant:
    label: str
    scarcity: bool = False
    was_minor: int | None = None  # the struck price, in the drop's currency


@dataclass(frozen=True, slots=True)
class Pitch:
    """What a held fan's message adds: the variant they were given and its words' facts."""

    label: str | None = None
    left: int | None = None  # units still free, for scarcity wording
    was: Money | None = None  # a higher price to strike through
    member: bool = False  # `was` is the public price; the fan holds at their member price


def parse_copy(text: str, price: Money) -> list[CopyVariant]:
    """Variants for a drop whose cheapest tier costs `price`; empty text switches them off."""
    variants = [_variant(word, price) for word in text.split()]
    labels = [v.label for v in variants]
    if len(set(labels)) != len(labels):
        raise InvalidInput("each variant needs its own label")
    if len(variants) == 1:
        raise InvalidInput("an A/B test needs at least two variants; give none to stop it")
    return variants


def _variant(word: str, price: Money) -> CopyVariant:
    match = _VARIANT.match(word)
    if match is None:
        raise InvalidInput(f"{word!r} is not LABEL=STYLE: give {HELP}")
    scarcity, was = False, None
    for part in match["style"].lower().split("+"):
        if part == "plain":
            continue
        if part == "scarcity":
            scarcity = True
        elif part.startswith("was:"):
            was = parse_price(f"{part[4:]} {price.currency}")
            if was.minor <= price.minor:
                raise InvalidInput(f"the 'was' price {was} must be above the price ({price})")
        else:
            raise InvalidInput(f"{part!r} is not a style: give {HELP}")
    return CopyVariant(match["label"].upper(), scarcity, None if was is None else was.minor)


def as_stored(variants: list[CopyVariant]) -> list[dict[str, object]]:
    return [{"label": v.label, "scarcity": v.scarcity, "was_minor": v.was_minor} for v in variants]


def from_stored(rows: list[dict[str, object]]) -> list[CopyVariant]:
    return [
        CopyVariant(
            str(row["label"]),
            bool(row["scarcity"]),
            None if row["was_minor"] is None else int(str(row["was_minor"])),
        )
        for row in rows
    ]


def describe(variants: list[CopyVariant], currency: str) -> str:
    def style(v: CopyVariant) -> str:
        parts = ["scarcity"] if v.scarcity else []
        if v.was_minor is not None:
            parts.append(f"was {Money(v.was_minor, currency)}")
        return " + ".join(parts) or "plain"

    return ", ".join(f"{v.label}: {style(v)}" for v in variants) or "off"
