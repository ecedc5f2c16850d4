"""Our prices in Stripe's minor units and back (invariant 7 in docs/architecture.md).

`core.money` counts minor units by CLDR's digits; Stripe counts them by its own: a list of
zero-decimal currencies, five three-decimal ones, and two decimals for every other, even
where CLDR says none (ISK, HUF, IDR, COP…: 1000 ISK is 100000 to Stripe). What Stripe
cannot charge (a three-decimal amount not ending in 0, less than its minimum) is refused
here with the reason, before any request. The rules and where Stripe states them are in
tests/peers/stripe_checkout.py, which refuses the same things the way Stripe does.
"""

from __future__ import annotations

from core.errors import InvalidInput
from core.money import Money, check_currency, minor_digits

ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
     "XAF", "XOF", "XPF"}
)  # fmt: skip
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
# the least Stripe charges, in Stripe's minor units; other currencies' minimum is about
# 0.50 USD at the day's rate, which only Stripe can tell
MINIMUM_CHARGE = {
    "USD": 50, "AED": 200, "AUD": 50, "BGN": 100, "BRL": 50, "CAD": 50, "CHF": 50,
    "CZK": 1500, "DKK": 250, "EUR": 50, "GBP": 30, "HKD": 400, "HUF": 17500, "INR": 50,
    "JPY": 50, "MXN": 1000, "MYR": 200, "NOK": 300, "NZD": 50, "PLN": 200, "RON": 200,
    "SEK": 300, "SGD": 50, "THB": 1000,
}  # fmt: skip


def stripe_digits(currency: str) -> int:
    """How many decimals Stripe's amounts have in `currency`. ISK has two, of which Stripe
    charges whole krónur only: our ISK, with none, always is."""
    if currency in ZERO_DECIMAL:
        return 0
    return 3 if currency in THREE_DECIMAL else 2


def to_stripe(money: Money) -> int:
    """The `amount` Stripe takes for `money` (a refund's, say); InvalidInput, with the
    reason in words for the fan and the creator, when Stripe cannot take it."""
    currency = money.currency
    shift = stripe_digits(currency) - minor_digits(currency)
    up: int = 10 ** max(shift, 0)
    down: int = 10 ** max(-shift, 0)
    amount, fraction = divmod(money.minor * up, down)
    if fraction:
        raise InvalidInput(f"Stripe charges {currency} in fewer decimals: {money} cannot be paid")
    if currency in THREE_DECIMAL and amount % 10:
        raise InvalidInput(
            f"Stripe charges {currency} only in steps of 0.010: {money} cannot be paid"
        )
    return amount


def to_stripe_charge(price: Money) -> int:
    """`to_stripe` for a charge, which Stripe also refuses below its minimum."""
    amount = to_stripe(price)
    least = MINIMUM_CHARGE.get(price.currency)
    if least is not None and amount < least:
        minimum = from_stripe(least, price.currency)
        raise InvalidInput(f"{price} is below Stripe's least charge of {minimum}")
    return amount


def from_stripe(amount: int, currency: str) -> Money:
    """Stripe's `amount` in `currency` (any case) as our Money; InvalidInput if it holds a
    fraction our prices in that currency cannot (we never ask for one)."""
    code = check_currency(currency)
    shift = stripe_digits(code) - minor_digits(code)
    if shift < 0:
        return Money(amount * 10**-shift, code)
    minor, fraction = divmod(amount, 10**shift)
    if fraction:
        raise InvalidInput(f"Stripe amount {amount} {code} has a fraction our prices lack")
    return Money(minor, code)
