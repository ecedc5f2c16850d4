"""Invariant 7, as a creator typing prices meets it: amounts are whole minor units with a
currency, a typed price is read exactly or refused with a reason, never rounded."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidInput
from core.money import Money, minor_digits, parse_price


def test_a_negative_price_is_refused():
    with pytest.raises(InvalidInput, match=r"a price cannot be negative \(got -1\)"):
        Money(-1, "EUR")
    with pytest.raises(InvalidInput, match='not "AMOUNT CURRENCY"'):
        parse_price("-9.99 EUR")


@pytest.mark.parametrize("amount", [9.99, 10.0, Decimal("9.99"), "999", True])
def test_an_amount_that_is_not_whole_minor_units_is_refused(amount):
    with pytest.raises(InvalidInput, match=r'whole minor units \(cents\).*"9\.99 EUR"'):
        Money(amount, "EUR")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9.99", r'price \'9\.99\' is not "AMOUNT CURRENCY" with a dot for decimals'),
        ("EUR 9.99", 'not "AMOUNT CURRENCY"'),
        ("9.99EUR", 'not "AMOUNT CURRENCY"'),
        (".99 EUR", 'not "AMOUNT CURRENCY"'),
        ("1e3 EUR", 'not "AMOUNT CURRENCY"'),
        ("", 'not "AMOUNT CURRENCY"'),
        (None, 'not "AMOUNT CURRENCY"'),
    ],
)
def test_a_price_that_is_not_amount_then_currency_is_refused(text, message):
    with pytest.raises(InvalidInput, match=message):
        parse_price(text)


@pytest.mark.parametrize(
    ("text", "currency", "digits"),
    [
        ("9.999 EUR", "EUR", 2),
        ("9.991 EUR", "EUR", 2),
        ("0.001 USD", "USD", 2),
        ("9.5 JPY", "JPY", 0),
        ("1.0001 KWD", "KWD", 3),
        ("2.5 XTR", "XTR", 0),
    ],
)
def test_a_price_with_more_decimals_than_its_currency_is_refused_not_rounded(
    text, currency, digits
):
    with pytest.raises(
        InvalidInput, match=rf"more decimals than {currency} allows \({digits}\).*rounded"
    ):
        parse_price(text)


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("9,99 EUR", "write prices with a dot: 9.99 EUR"),
        ("9,5 eur", "write prices with a dot: 9.5 EUR"),
        ("1.234,56 EUR", "write prices with a dot: 1234.56 EUR"),
        ("1,000 EUR", "write it without a thousands separator: 1000 EUR"),
        ("1,250 KWD", "write prices with a dot: 1.250 KWD"),  # three decimals: a decimal comma
    ],
)
def test_a_price_written_with_a_comma_is_refused_with_the_price_it_means(text, meant):
    with pytest.raises(InvalidInput, match=f"^price '{re.escape(text)}': {re.escape(meant)}$"):
        parse_price(text)


def test_an_unknown_currency_is_refused_with_an_example_of_a_good_one():
    with pytest.raises(InvalidInput, match="unknown currency 'ABC': use an ISO 4217 code"):
        parse_price("9.99 ABC")
    with pytest.raises(InvalidInput, match="unknown currency 'ABC'"):
        Money(999, "ABC")
    with pytest.raises(InvalidInput, match="unknown currency"):
        Money(999, None)  # type: ignore[arg-type]


def test_kuwaiti_dinars_have_three_decimals():
    assert minor_digits("KWD") == 3
    assert parse_price("1.000 KWD") == Money(1000, "KWD")
    assert parse_price("0.125 KWD") == Money(125, "KWD")
    assert str(Money(1000, "KWD")) == "1.000 KWD"


def test_telegram_stars_are_whole_stars():
    assert minor_digits("XTR") == 0
    assert parse_price("150 XTR") == Money(150, "XTR")
    assert parse_price("150 xtr") == Money(150, "XTR")
    assert str(Money(150, "XTR")) == "150 XTR"


def test_money_is_shown_in_major_units_with_the_currencys_decimals():
    assert str(Money(999, "EUR")) == "9.99 EUR"
    assert str(Money(0, "EUR")) == "0.00 EUR"
    assert str(Money(1, "USD")) == "0.01 USD"
    assert str(Money(100000, "EUR")) == "1000.00 EUR"
    assert str(Money(500, "JPY")) == "500 JPY"


def test_prices_are_read_exactly_whatever_the_spacing_and_letter_case():
    assert parse_price("  9.99   eur ") == Money(999, "EUR")
    assert parse_price("10 EUR") == Money(1000, "EUR")
    assert parse_price("10.5 EUR") == Money(1050, "EUR")
    assert Money(999, "eur").currency == "EUR"


def test_the_same_amount_in_another_currency_is_another_price():
    assert Money(999, "EUR") != Money(999, "USD")
    assert Money(999, "EUR") == parse_price("9.99 EUR")


@given(
    minor=st.integers(0, 10**12),
    currency=st.sampled_from(["EUR", "USD", "JPY", "KWD", "XTR", "GBP", "CLP"]),
)
def test_what_a_fan_is_shown_reads_back_as_the_same_price(minor, currency):
    money = Money(minor, currency)
    assert parse_price(str(money)) == money
