"""The `PayLinks` port (core/ports.py), the same tests over `MemoryPayLinks` and
`StripeCheckout` on the Checkout peer: a link per hold, the same link however often it is
asked for, asking for exactly the hold's price, and a lapsed hold's link cancelled."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from adapters.memory import ManualClock
from core.messages import HoldForPayment
from core.money import parse_price
from tests.contracts.sides import PayLinksSide


def hold_for(
    clock: ManualClock, hold_id: int = 1, price: str = "25.00 EUR", kind: str = "digital"
) -> HoldForPayment:
    """What the core asks a link for (core/drops/holds.py `pay_link`): a hold of ten minutes."""
    return HoldForPayment(
        hold_id=hold_id,
        fan_id=100 + hold_id,
        title="Winter drop",
        tier_name="Signed print",
        kind=kind,
        price=parse_price(price),
        expires_at=clock.now() + timedelta(minutes=10),
    )


@pytest.mark.parametrize("price", ["25.00 EUR", "1050 ISK", "500 JPY", "2.350 KWD", "1999 HUF"])
async def test_a_link_takes_exactly_the_holds_price(pay_links: PayLinksSide, clock, price):
    hold = hold_for(clock, price=price)
    link = await pay_links.port.create(hold)
    assert pay_links.charge(link.provider_ref) == hold.price
    assert pay_links.takes_money(link.provider_ref)


@pytest.mark.parametrize("kind", ["digital", "physical"])
async def test_a_paid_link_names_its_hold(pay_links: PayLinksSide, clock, kind):
    """What the payment's webhook finds the hold by."""
    link = await pay_links.port.create(hold_for(clock, hold_id=7, kind=kind))
    await pay_links.pay(link.provider_ref)
    assert pay_links.hold_of(link.provider_ref) == 7
    assert not pay_links.takes_money(link.provider_ref)  # paid once, no more


async def test_each_hold_gets_a_link_of_its_own(pay_links: PayLinksSide, clock):
    first = await pay_links.port.create(hold_for(clock, hold_id=1))
    second = await pay_links.port.create(hold_for(clock, hold_id=2))
    assert first.provider_ref != second.provider_ref
    assert first.url != second.url
    assert pay_links.links() == 2
    assert [pay_links.hold_of(link.provider_ref) for link in (first, second)] == [1, 2]


async def test_asking_again_for_a_holds_link_gives_the_same_link(pay_links: PayLinksSide, clock):
    hold = hold_for(clock)
    first = await pay_links.port.create(hold)
    clock.advance(minutes=3)  # the fan taps "pay" again a few minutes on
    again = await pay_links.port.create(hold)
    assert again == first
    assert pay_links.links() == 1


async def test_asking_at_once_for_a_holds_link_makes_one_link(pay_links: PayLinksSide, clock):
    """Two taps of "pay" (or two processes) at the same moment."""
    hold = hold_for(clock)
    links = await asyncio.gather(*(pay_links.port.create(hold) for _ in range(3)))
    assert len(set(links)) == 1
    assert pay_links.links() == 1


async def test_a_cancelled_link_takes_no_more_money(pay_links: PayLinksSide, clock):
    kept, lapsed = [await pay_links.port.create(hold_for(clock, n)) for n in (1, 2)]
    clock.advance(minutes=10)  # the hold lapsed
    await pay_links.port.cancel(lapsed.provider_ref)
    assert not pay_links.takes_money(lapsed.provider_ref)
    assert pay_links.takes_money(kept.provider_ref)  # only that one


async def test_cancelling_a_link_twice_is_no_error(pay_links: PayLinksSide, clock):
    """The clock may see a hold lapse twice (two clock processes, a retry)."""
    link = await pay_links.port.create(hold_for(clock))
    await pay_links.port.cancel(link.provider_ref)
    await pay_links.port.cancel(link.provider_ref)
    assert not pay_links.takes_money(link.provider_ref)


async def test_cancelling_a_link_paid_meanwhile_is_no_error(pay_links: PayLinksSide, clock):
    """The fan paid as the hold lapsed: the payment stands, and the core settles it."""
    link = await pay_links.port.create(hold_for(clock))
    await pay_links.pay(link.provider_ref)
    await pay_links.port.cancel(link.provider_ref)
    assert pay_links.hold_of(link.provider_ref) == 1


async def test_cancelling_a_link_that_ran_out_by_itself_is_no_error(pay_links: PayLinksSide, clock):
    """The clock was down for hours: the provider ended the link first."""
    link = await pay_links.port.create(hold_for(clock))
    clock.advance(hours=2)
    await pay_links.port.cancel(link.provider_ref)
    assert not pay_links.takes_money(link.provider_ref)
