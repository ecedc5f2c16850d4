"""Invariant 7: money is integer minor units with a currency; a price is never rounded."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput
from core.money import Money, parse_price


@pytest.mark.parametrize(
    ("text", "minor", "currency"),
    [
        ("9.99 EUR", 999, "EUR"),
        ("10 eur", 1000, "EUR"),
        ("500 JPY", 500, "JPY"),
        ("1.250 KWD", 1250, "KWD"),
        ("0.5 USD", 50, "USD"),
        ("250 XTR", 250, "XTR"),
    ],
)
def test_prices_are_read_exactly_in_the_currencys_minor_units(text, minor, currency):
    assert parse_price(text) == Money(minor, currency)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9.99", 'not "AMOUNT CURRENCY"'),
        ("9,99 EUR", 'not "AMOUNT CURRENCY"'),
        ("-5.00 EUR", 'not "AMOUNT CURRENCY"'),
        ("9.999 EUR", "more decimals than EUR allows"),
        ("9.5 JPY", "more decimals than JPY allows"),
        ("1.5 XTR", "more decimals than XTR allows"),
        ("9.99 ABC", "unknown currency 'ABC'"),
        ("", 'not "AMOUNT CURRENCY"'),
    ],
)
def test_a_price_that_would_need_rounding_or_guessing_is_refused(text, message):
    with pytest.raises(InvalidInput, match=message):
        parse_price(text)


def test_floats_and_negative_amounts_are_not_money():
    with pytest.raises(InvalidInput, match="whole minor units"):
        Money(9.99, "EUR")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="cannot be negative"):
        Money(-1, "EUR")
    with pytest.raises(InvalidInput, match="unknown currency"):
        Money(100, "EURO")


def test_money_prints_in_major_units():
    assert str(Money(999, "EUR")) == "9.99 EUR"
    assert str(Money(5, "EUR")) == "0.05 EUR"
    assert str(Money(500, "JPY")) == "500 JPY"
    assert str(Money(1250, "KWD")) == "1.250 KWD"
