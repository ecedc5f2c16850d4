"""Money as integer minor units plus a currency code; never floats.

Creators type prices as decimals in major units ("9.99 EUR"); fans see them formatted.
Parsing is exact: a price with more decimals than its currency has is rejected, not rounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

from babel.numbers import get_currency_precision, list_currencies

from core.errors import InvalidInput

# Telegram Stars are not ISO 4217 but are a currency fans pay in (whole stars only).
STARS = "XTR"
NON_ISO_CURRENCIES = {STARS: 0}

_PRICE = re.compile(r"^\s*(?P<amount>\d+(?:\.\d+)?)\s+(?P<currency>[A-Za-z]{3})\s*$")
# "9,99 EUR", "1.234,56 EUR": a decimal comma, as much of Europe writes prices
_COMMA_PRICE = re.compile(
    r"^\s*(?P<whole>\d{1,3}(?:\.\d{3})+|\d+),(?P<fraction>\d+)\s+(?P<currency>[A-Za-z]{3})\s*$"
)


@cache
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies()) | frozenset(NON_ISO_CURRENCIES)


def check_currency(code: str) -> str:
    """Return the upper-case code, or raise if it is not a currency we can price in."""
    upper = code.upper() if isinstance(code, str) else ""
    if upper not in _known_currencies():
        raise InvalidInput(f"unknown currency {code!r}: use an ISO 4217 code such as EUR or USD")
    return upper


def minor_digits(currency: str) -> int:
    """How many decimal places the currency's minor unit has (EUR 2, JPY 0, KWD 3)."""
    code = check_currency(currency)
    if code in NON_ISO_CURRENCIES:
        return NON_ISO_CURRENCIES[code]
    return int(get_currency_precision(code))


@dataclass(frozen=True, slots=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        if type(self.minor) is not int:
            raise InvalidInput(
                f"amounts are whole minor units (cents), got {self.minor!r}; "
                'write a decimal price as text, e.g. "9.99 EUR"'
            )
        if self.minor < 0:
            raise InvalidInput(f"a price cannot be negative (got {self.minor})")
        object.__setattr__(self, "currency", check_currency(self.currency))

    def __str__(self) -> str:
        digits = minor_digits(self.currency)
        if digits == 0:
            return f"{self.minor} {self.currency}"
        whole, frac = divmod(self.minor, 10**digits)
        return f"{whole}.{frac:0{digits}d} {self.currency}"


def parse_price(text: str) -> Money:
    """Parse "9.99 EUR" or "500 JPY" exactly; reject anything that would need rounding."""
    match = _PRICE.match(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidInput(_not_a_price(text))
    currency = check_currency(match["currency"])
    digits = minor_digits(currency)
    try:
        amount = Decimal(match["amount"])
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise InvalidInput(f"price {text!r} is not a number") from None
    scaled = amount.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise InvalidInput(
            f"price {text!r} has more decimals than {currency} allows ({digits}); "
            "it would have to be rounded"
        )
    return Money(int(scaled), currency)


def _not_a_price(text: object) -> str:
    """Why `text` is not a price; written with a comma, the price it means (a comma before
    three digits is a thousands separator, unless the currency has three decimals)."""
    comma = _COMMA_PRICE.match(text) if isinstance(text, str) else None
    if comma is None:
        return f'price {text!r} is not "AMOUNT CURRENCY" with a dot for decimals, e.g. "9.99 EUR"'
    whole, fraction = comma["whole"].replace(".", ""), comma["fraction"]
    currency = comma["currency"].upper()
    if len(fraction) == 3 and currency in _known_currencies() and minor_digits(currency) != 3:
        return (
            f"price {text!r}: write it without a thousands separator: {whole}{fraction} {currency}"
        )
    return f"price {text!r}: write prices with a dot: {whole}.{fraction} {currency}"
