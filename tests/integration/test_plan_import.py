"""Moving in without re-billing: `Importing.run` lists the Stripe account's subscriptions that
another tool started, matches them to plans and gives out one-time claim codes;
`Claiming.claim_as` connects a fan to one. The real `stripe` library against the Billing
peer (tests/peers/stripe_billing.py); nothing of ours is stood in for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import stripe

from bots.bootstrap import App, bootstrap
from config import load_settings
from core.app import Core
from core.errors import InvalidState, NotFound
from core.fans import FanRef
from core.kinds import Platform
from core.memberships.claiming import EXPIRED, UNREACHABLE, USED
from core.memberships.importing import CLAIM_VALID, Imported
from core.memberships.plans import PlanSpec
from core.models import Membership, MembershipPlan, SubscriptionClaim
from core.money import Money
from core.tokens import digest
from tests.peers.stripe_checkout import StripeCheckoutPeer
from tests.stripe_client import stripe_client

ADA = FanRef(Platform.TELEGRAM, "4242", "Ada")
BO = FanRef(Platform.DISCORD, "77", "Bo")


def app_on(world: Any, url: str) -> App:
    settings = load_settings(
        database_url=world.app.settings.database_url,
        stripe_secret_key="sk_test_dropcast",
        stripe_api_base=url,
        public_base_url="https://drops.example.com",
    )
    return bootstrap(settings, clock=world.clock, messenger=world.messenger)


@pytest.fixture
async def core(world, stripe_peer) -> AsyncIterator[Core]:
    app = app_on(world, stripe_peer[1])
    yield app.core
    await app.close()


@pytest.fixture
async def api(stripe_peer) -> AsyncIterator[stripe.StripeClient]:
    async with stripe_client(stripe_peer[1]) as client:
        yield client


class Elsewhere:
    """The Stripe account as another tool left it: prices, and subscriptions on them."""

    def __init__(self, checkout: StripeCheckoutPeer, api: stripe.StripeClient) -> None:
        self.checkout = checkout
        self.api = api

    async def price(self, amount: int, currency: str = "eur", interval: str = "month") -> str:
        price = await self.api.v1.prices.create_async(
            {"currency": currency, "unit_amount": amount, "recurring": {"interval": interval},
             "product_data": {"name": "Old tool's tier"}}  # type: ignore[typeddict-item]
        )  # fmt: skip
        return str(price.id)

    async def subscription(self, price: str, email: str, **extra: Any) -> str:
        sub = await self.checkout.billing.started_elsewhere(price, email, **extra)
        return str(sub["id"])

    def period_end(self, sub: str) -> datetime:
        item = self.checkout.billing.subscriptions[sub]["items"]["data"][0]
        return datetime.fromtimestamp(item["current_period_end"], UTC)


@pytest.fixture
async def elsewhere(core, stripe_peer, api) -> Elsewhere:
    await core.plans.create(PlanSpec("Club", Money(500, "EUR")))
    await core.plans.create(PlanSpec("Patrons", Money(5000, "EUR"), "yearly"))
    return Elsewhere(stripe_peer[0], api)


def by_ref(found: list[Imported]) -> dict[str, Imported]:
    return {sub.subscription_ref: sub for sub in found}


async def test_import_matches_by_price_id_then_by_price_and_leaves_the_rest_alone(core, elsewhere):
    kept_price = await elsewhere.price(450)  # the plan's own Stripe price, another amount
    await MembershipPlan.filter(name="Patrons").update(stripe_price_ref=kept_price)
    by_id = await elsewhere.subscription(kept_price, "ada@example.com")
    by_amount = await elsewhere.subscription(await elsewhere.price(500), "bo@example.com")
    odd = await elsewhere.subscription(await elsewhere.price(999, "usd"), "cy@example.com")
    weekly = await elsewhere.subscription(await elsewhere.price(500, interval="week"), "d@x.io")
    found = by_ref(await core.importing.run())
    assert set(found) == {by_id, by_amount, odd, weekly}
    assert (found[by_id].plan_name, found[by_amount].plan_name) == ("Patrons", "Club")
    assert found[by_id].price == Money(450, "EUR")  # kept: nothing is re-priced
    assert found[by_amount].paid_through == elsewhere.period_end(by_amount)
    assert found[by_amount].customer_email == "bo@example.com"
    assert (found[odd].plan_id, found[odd].code) == (None, None)
    assert "no plan on sale at 9.99 USD / monthly" in found[odd].why_not
    assert "not one monthly or yearly price" in found[weekly].why_not
    claims = {c.subscription_ref: c for c in await SubscriptionClaim.all()}
    assert set(claims) == {by_id, by_amount}  # the unmatched are left alone
    for ref, claim in claims.items():
        code = found[ref].code
        assert code is not None
        assert claim.digest == digest(code) != code  # kept hashed
        assert claim.expires_at == core.clock.now() + CLAIM_VALID
    for ref in (odd, weekly):
        assert elsewhere.checkout.billing.subscriptions[ref]["metadata"] == {}


async def test_a_named_plan_takes_every_subscription_whatever_it_charges(core, elsewhere):
    odd = await elsewhere.subscription(await elsewhere.price(999, "usd"), "cy@example.com")
    [found] = await core.importing.run("patrons")
    assert (found.subscription_ref, found.plan_name, found.price) == (
        odd, "Patrons", Money(999, "USD"),
    )  # fmt: skip
    assert found.code is not None


async def test_a_dry_run_lists_and_matches_but_stores_and_sends_nothing(core, elsewhere):
    sub = await elsewhere.subscription(await elsewhere.price(500), "bo@example.com")
    before = list(elsewhere.checkout.requests)
    [found] = await core.importing.run(dry_run=True)
    assert (found.subscription_ref, found.plan_name, found.code) == (sub, "Club", None)
    assert await SubscriptionClaim.all().count() == 0
    asked = elsewhere.checkout.requests[len(before) :]
    assert {(method, path) for method, path, *_ in asked} == {("GET", "/v1/subscriptions")}


async def test_importing_again_replaces_the_code_and_skips_what_dropcast_knows(core, elsewhere):
    sub = await elsewhere.subscription(await elsewhere.price(500), "bo@example.com")
    [first] = await core.importing.run()
    [second] = await core.importing.run()
    assert first.code != second.code
    with pytest.raises(NotFound):
        await core.claiming.claim_as(str(first.code), ADA)  # the old one stopped working
    await core.claiming.claim_as(str(second.code), ADA)
    assert await core.importing.run() == []
    assert await Membership.filter(subscription_ref=sub).count() == 1


async def test_a_claim_connects_the_fan_with_the_paid_through_date_and_no_charge(core, elsewhere):
    sub = await elsewhere.subscription(await elsewhere.price(500), "bo@example.com")
    billing = elsewhere.checkout.billing
    invoices, charged = len(billing.invoices), billing.subscriptions[sub]["latest_invoice"]
    await elsewhere.checkout.billing.advance(core.clock.now() + timedelta(days=3))
    [found] = await core.importing.run()
    claimed = await core.claiming.claim_as(str(found.code), ADA)
    assert (claimed.plan, claimed.state) == ("Club", "active")
    assert claimed.paid_through == elsewhere.period_end(sub)
    member = await Membership.get(subscription_ref=sub)
    assert member.current_period_end == elsewhere.period_end(sub)
    assert billing.subscriptions[sub]["metadata"] == {
        "fan_id": str(member.fan_id), "plan_id": str(member.plan_id),
    }  # fmt: skip
    # nothing billed: no invoice, the latest one still the old tool's, the price its own
    assert (len(billing.invoices), billing.subscriptions[sub]["latest_invoice"]) == (
        invoices, charged,
    )  # fmt: skip
    assert billing.subscriptions[sub]["items"]["data"][0]["price"]["unit_amount"] == 500
    # Stripe's later events find the member through the metadata
    assert (await core.joining.refresh(sub)).fan_id == member.fan_id  # type: ignore[union-attr]


async def test_a_used_unknown_or_expired_claim_is_refused_and_changes_nothing(core, elsewhere):
    price = await elsewhere.price(500)
    used, late = (await elsewhere.subscription(price, "a@x.io"),
                  await elsewhere.subscription(price, "b@x.io"))  # fmt: skip
    codes = {sub.subscription_ref: str(sub.code) for sub in await core.importing.run()}
    await core.claiming.claim_as(codes[used], ADA)
    with pytest.raises(InvalidState, match=USED):
        await core.claiming.claim_as(codes[used], BO)
    with pytest.raises(InvalidState, match="a member of 'Club' already"):
        await core.claiming.claim_as(codes[used], ADA)
    with pytest.raises(NotFound, match="not a claim link"):
        await core.claiming.claim_as("not-a-code-at-all", BO)
    core.clock.set(core.clock.now() + CLAIM_VALID)  # type: ignore[attr-defined]
    with pytest.raises(InvalidState, match=EXPIRED):
        await core.claiming.claim_as(codes[late], BO)
    assert elsewhere.checkout.billing.subscriptions[late]["metadata"] == {}
    assert await Membership.all().count() == 1


async def test_a_fan_already_a_member_of_the_plan_is_told_and_the_claim_stays_unused(
    core, elsewhere
):
    price = await elsewhere.price(500)
    mine, theirs = (await elsewhere.subscription(price, "a@x.io"),
                    await elsewhere.subscription(price, "b@x.io"))  # fmt: skip
    codes = {sub.subscription_ref: str(sub.code) for sub in await core.importing.run()}
    await core.claiming.claim_as(codes[mine], ADA)
    with pytest.raises(InvalidState, match="with another subscription"):
        await core.claiming.claim_as(codes[theirs], ADA)
    assert (await SubscriptionClaim.get(subscription_ref=theirs)).used_at is None
    assert (await core.claiming.claim_as(codes[theirs], BO)).plan == "Club"


async def test_of_two_fans_racing_for_one_claim_exactly_one_wins(core, elsewhere):
    sub = await elsewhere.subscription(await elsewhere.price(500), "a@x.io")
    [found] = await core.importing.run()
    results = await asyncio.gather(
        core.claiming.claim_as(str(found.code), ADA),
        core.claiming.claim_as(str(found.code), BO),
        return_exceptions=True,
    )
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert (len(won), len(lost)) == (1, 1)
    assert isinstance(lost[0], InvalidState)
    assert str(lost[0]) == USED
    member = await Membership.get(subscription_ref=sub)
    claim = await SubscriptionClaim.get(subscription_ref=sub)
    assert claim.fan_id == member.fan_id
    assert elsewhere.checkout.billing.subscriptions[sub]["metadata"]["fan_id"] == str(member.fan_id)


async def test_stripe_out_of_reach_keeps_the_claim_for_the_same_fan_to_finish(
    core, elsewhere, world
):
    sub = await elsewhere.subscription(await elsewhere.price(500), "a@x.io")
    [found] = await core.importing.run()
    unreachable = app_on(world, "http://127.0.0.1:9")  # nothing listens on the discard port
    with pytest.raises(InvalidState, match=UNREACHABLE):
        await unreachable.core.claiming.claim_as(str(found.code), ADA)
    await unreachable.close()
    with pytest.raises(InvalidState, match=USED):
        await core.claiming.claim_as(str(found.code), BO)
    assert (await core.claiming.claim_as(str(found.code), ADA)).plan == "Club"
    assert await Membership.filter(subscription_ref=sub).count() == 1


async def test_import_reads_every_page_of_more_than_a_hundred_subscriptions(core, elsewhere):
    price = await elsewhere.price(500)
    made = {await elsewhere.subscription(price, f"f{n}@x.io", trial_days=7) for n in range(130)}
    before = len(elsewhere.checkout.requests)
    found = await core.importing.run(dry_run=True)
    assert {sub.subscription_ref for sub in found} == made
    assert {sub.status for sub in found} == {"trialing"}
    pages = [r for r in elsewhere.checkout.requests[before:] if r[1] == "/v1/subscriptions"]
    assert len(pages) == 2


async def test_subscriptions_dropcast_started_are_not_imported(core, elsewhere, stripe_peer):
    url = await core.joining.join("Club", ADA)
    [session] = [s for s in stripe_peer[0].sessions.values() if s["url"] == url]
    await stripe_peer[0].complete(session["id"])  # its webhook not handled yet
    assert await core.importing.run() == []
