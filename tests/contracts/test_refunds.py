"""The `Refunds` port (core/ports.py), the same tests over `MemoryRefunds` and
`StripeRefunds` through the Checkout peer to localstripe: a payment is refunded its amount,
once however often (or however many at once) ask, and a provider out of reach raises
`ProviderUnreachable`, a `ConnectionError`, so the refund waits for the clock
(core/drops/payments.py `retry_refunds`)."""

from __future__ import annotations

import asyncio

import pytest

from core.errors import ProviderUnreachable
from core.money import parse_price
from tests.contracts.sides import RefundsSide


@pytest.mark.parametrize("price", ["25.00 EUR", "1050 ISK", "500 JPY", "2.350 KWD"])
async def test_a_payment_is_refunded_its_amount(refunds: RefundsSide, price):
    amount = parse_price(price)
    payment = await refunds.payment(amount)
    await refunds.port.refund(payment, amount, "the item sold out first")
    assert await refunds.refunded(payment) == [amount]


async def test_asking_again_refunds_once(refunds: RefundsSide):
    amount = parse_price("25.00 EUR")
    payment = await refunds.payment(amount)
    for _ in range(3):  # the webhook redelivered, the clock's retries
        await refunds.port.refund(payment, amount, "the item sold out first")
    assert await refunds.refunded(payment) == [amount]


async def test_asking_at_once_refunds_once(refunds: RefundsSide):
    amount = parse_price("25.00 EUR")
    payment = await refunds.payment(amount)
    await asyncio.gather(
        *(refunds.port.refund(payment, amount, "the drop was cancelled") for _ in range(3))
    )
    assert await refunds.refunded(payment) == [amount]


async def test_each_payment_is_refunded_once_on_its_own(refunds: RefundsSide):
    amount = parse_price("25.00 EUR")
    first, second = [await refunds.payment(amount) for _ in range(2)]
    await refunds.port.refund(first, amount, "the drop was cancelled")
    await refunds.port.refund(second, amount, "the drop was cancelled")
    await refunds.port.refund(first, amount, "the drop was cancelled")
    assert [await refunds.refunded(payment) for payment in (first, second)] == [[amount]] * 2


async def test_a_provider_out_of_reach_raises_so_the_refund_waits(refunds: RefundsSide):
    amount = parse_price("25.00 EUR")
    payment = await refunds.payment(amount)
    with pytest.raises(ProviderUnreachable) as waiting:
        await refunds.out_of_reach().refund(payment, amount, "the item sold out first")
    assert isinstance(waiting.value, ConnectionError)  # what retry_refunds waits on
    assert await refunds.refunded(payment) == []


async def test_a_refund_that_waited_is_made_once_when_the_provider_answers_again(
    refunds: RefundsSide,
):
    amount = parse_price("25.00 EUR")
    payment = await refunds.payment(amount)
    with pytest.raises(ProviderUnreachable):
        await refunds.out_of_reach().refund(payment, amount, "the item sold out first")
    await asyncio.gather(  # the clock's retry, and the webhook delivered again
        refunds.port.refund(payment, amount, "the item sold out first"),
        refunds.port.refund(payment, amount, "the item sold out first"),
    )
    assert await refunds.refunded(payment) == [amount]
