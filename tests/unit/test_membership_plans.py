"""Membership plans (core/memberships/plans.py): every field checked with a clear refusal,
prices in the currency's own minor units, names unique among the plans on sale (by the
database too), and archiving."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.exceptions import IntegrityError

from core.errors import DropcastError, InvalidInput, InvalidState, NotFound
from core.kinds import Platform
from core.memberships.plans import PlanSpec, list_plans, plan_view
from core.models import MembershipPlan
from core.money import Money, parse_price


def spec(name: str = "Backstage club", price: str = "5.00 EUR", **changes: object) -> PlanSpec:
    return PlanSpec(name, parse_price(price), **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (spec(name="  "), "a plan needs a name of 1 to 80 characters"),
        (spec(name="x" * 81), "a plan needs a name of 1 to 80 characters"),
        (spec(price="0.00 EUR"), "the price must be above zero; free time is a trial"),
        (spec(price="250 XTR"), "give a Telegram Stars price as stars"),
        (spec(price="1000000.00 EUR"), "is more than one payment can take"),
        (spec(period="weekly"), "period 'weekly' is not monthly or yearly"),
        (spec(stars=0), "the Stars price per 30 days must be between 1 and 10000, got 0"),
        (spec(stars=10_001), "must be between 1 and 10000, got 10001"),
        (spec(stars=2.5), "the Stars price per 30 days must be a whole number, got 2.5"),
        (spec(trial_days=-1), "trial days must be between 0 and 90, got -1"),
        (spec(trial_days=91), "trial days must be between 0 and 90, got 91"),
        (spec(trial_days=True), "trial days must be a whole number, got True"),
        (spec(early_access_minutes=-5), "early access minutes must be between 0 and 10080"),
        (spec(early_access_minutes=10_081), "early access minutes must be between 0 and 10080"),
        (spec(perks="backstage"), "perks are a list of perk names"),
        (spec(perks=("Back stage",)), "a perk name is 1 to 32 lowercase letters"),
        (spec(perks=("vip", "VIP")), "perk vip is named twice"),
        (spec(perks=tuple(f"p{n}" for n in range(21))), "at most 20 perks"),
    ],
)
def test_each_field_is_checked_with_a_clear_refusal(plan, message):
    with pytest.raises(InvalidInput, match=message):
        plan.checked()


def test_a_price_is_the_currencys_own_minor_units():
    for text, minor in (("5.00 EUR", 500), ("500 JPY", 500), ("1.250 KWD", 1250)):
        assert spec(price=text).checked().price == Money(minor, text.split()[1])
    with pytest.raises(InvalidInput, match="more decimals than JPY allows"):
        spec(price="5.5 JPY")


def test_a_name_is_tidied_and_perks_lowercased():
    checked = spec(name="  Backstage   club ", perks=[" VIP "]).checked()
    assert checked.name == "Backstage club"
    assert checked.perks == ("vip",)


async def test_a_plan_is_created_shown_listed_and_archived(world):
    await world.core.perks.register("backstage", "Backstage", Platform.TELEGRAM, "-100", "-100")
    await world.core.perks.register("vip", "VIP", Platform.DISCORD, "g1", "r1")
    plan = await world.core.plans.create(
        spec(
            "Backstage club",
            "60.00 EUR",
            period="yearly",
            stars=250,
            trial_days=7,
            perks=("vip", "backstage"),
            early_access_minutes=30,
        )
    )
    assert (plan.name, plan.price, plan.period, plan.stars) == (
        "Backstage club",
        Money(6000, "EUR"),
        "yearly",
        250,
    )
    assert (plan.trial_days, plan.perks, plan.early_access_minutes) == (7, ("backstage", "vip"), 30)
    assert plan.on_sale
    assert plan.members == ()
    assert await plan_view(plan.id) == plan
    other = await world.core.plans.create(spec("Tip jar", "2.00 USD"))
    assert [p.id for p in await list_plans()] == [plan.id, other.id]
    world.clock.advance(minutes=5)
    archived = await world.core.plans.archive(plan.id)
    assert archived.archived_at == world.clock.now()
    assert not archived.on_sale
    assert [p.id for p in await list_plans(archived=False)] == [other.id]
    assert [p.id for p in await list_plans()] == [plan.id, other.id]
    with pytest.raises(InvalidState, match="is archived already"):
        await world.core.plans.archive(plan.id)
    with pytest.raises(InvalidState, match="no longer offered"):
        await world.core.plans.for_sale(plan.id)
    assert (await world.core.plans.for_sale(other.id)).id == other.id


async def test_an_unknown_plan_or_perk_is_named(world):
    with pytest.raises(NotFound, match="there is no plan #42"):
        await plan_view(42)
    with pytest.raises(NotFound, match="there is no plan #42"):
        await world.core.plans.archive(42)
    with pytest.raises(InvalidInput, match="there is no perk called 'vip'"):
        await world.core.plans.create(spec(perks=("vip",)))
    assert await list_plans() == []


async def test_a_name_is_unique_among_plans_on_sale_and_free_again_once_archived(world):
    first = await world.core.plans.create(spec("Backstage club"))
    with pytest.raises(InvalidState, match=r"'Backstage club' is on sale already \(#1\)"):
        await world.core.plans.create(spec("BACKSTAGE CLUB", "9.00 USD"))
    await world.core.plans.archive(first.id)
    again = await world.core.plans.create(spec("backstage club"))
    assert again.id != first.id
    await world.core.plans.archive(again.id)  # two archived plans may share a name
    assert [p.name for p in await list_plans()] == ["Backstage club", "backstage club"]


async def test_two_creators_racing_for_one_name_make_one_plan(world):
    results = await asyncio.gather(
        *(world.core.plans.create(spec(name)) for name in ("Club", "club", "CLUB", "Club")),
        return_exceptions=True,
    )
    made = [result for result in results if not isinstance(result, BaseException)]
    assert len(made) == 1
    assert all(isinstance(r, DropcastError) for r in results if r not in made)
    assert await MembershipPlan.all().count() == 1


async def test_the_database_holds_a_name_to_one_plan_on_sale(world):
    plan = await world.core.plans.create(spec("Club"))
    row = await MembershipPlan.get(id=plan.id)
    fields = dict(
        name="Club", name_key="club", price_minor=1, currency="EUR", period="monthly",
        created_at=row.created_at,
    )  # fmt: skip
    with pytest.raises(IntegrityError):
        await MembershipPlan.create(**fields)
    # an archived plan takes no name, and must be archived through and through
    await MembershipPlan.create(**fields, archived_at=row.created_at, live=None)
    with pytest.raises(IntegrityError):
        await MembershipPlan.create(**fields, archived_at=row.created_at)  # still live
