"""Memberships as their subscriptions' latest snapshots leave them (core/memberships/
members.py), on both databases: one row per subscription, reports in any order or repeated
leave the same row, and a fan holds at most one unended membership of a plan, which the
database enforces under a race."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

import pytest
from tortoise.exceptions import IntegrityError

from core.errors import InvalidInput, InvalidState, NotFound
from core.fans import fan_for
from core.kinds import MemberState, Platform
from core.memberships.members import membership_view
from core.memberships.plans import PlanSpec, plan_view
from core.memberships.states import Snapshot
from core.models import Membership
from core.money import parse_price
from core.privacy import export
from tests.builders import fans

GRACE = timedelta(days=3)  # the settings' default


async def a_plan(world, name: str = "Backstage club") -> int:
    plan = await world.core.plans.create(PlanSpec(name, parse_price("5.00 EUR")))
    return plan.id


def snap(world, status: str, minutes: int = 0, **changes: object) -> Snapshot:
    """The subscription as reported `minutes` after now, its period begun a day ago."""
    now = world.clock.now()
    values: dict[str, object] = dict(
        as_of=now + timedelta(minutes=minutes), started_at=now - timedelta(days=1),
        current_period_start=now - timedelta(days=1), current_period_end=now + timedelta(days=29),
    )  # fmt: skip
    return Snapshot(status, **(values | changes))  # type: ignore[arg-type]


async def row(membership_id: int) -> tuple[object, ...]:
    """Everything the membership holds but its id and subscription reference."""
    found = await Membership.get(id=membership_id)
    names = sorted(Membership._meta.db_fields - {"id", "subscription_ref"})
    return tuple(getattr(found, name) for name in names)


async def test_a_subscription_becomes_one_membership_that_follows_it(world):
    plan = await a_plan(world)
    [fan] = await fans(1)
    record = world.core.memberships.record
    trial = await record(fan, plan, "stripe", "sub_1", snap(world, "trialing"))
    assert trial.state == MemberState.TRIALING
    assert trial.grants_access(world.clock.now())
    active = await record(fan, plan, "stripe", "sub_1", snap(world, "active", 1))
    assert (active.id, active.state) == (trial.id, MemberState.ACTIVE)
    past_due = await record(fan, plan, "stripe", "sub_1", snap(world, "past_due", 2))
    assert past_due.state == MemberState.PAST_DUE
    assert past_due.grace_until == world.clock.now() - timedelta(days=1) + GRACE
    ended = await record(
        fan, plan, "stripe", "sub_1", snap(world, "canceled", 3, cancel_reason="payment_failed")
    )
    assert (ended.state, ended.cancel_reason) == (MemberState.ENDED, "payment_failed")
    assert ended.ended_at == world.clock.now() + timedelta(minutes=3)
    assert not ended.grants_access(world.clock.now())
    assert await Membership.all().count() == 1
    assert dict((await plan_view(plan)).members) == {}
    # the plan's members by state count the unended ones
    [other] = await fans(1, start=1)
    await record(other, plan, "telegram_stars", "tg_1", snap(world, "active"))
    assert (await plan_view(plan)).members == (("active", 1),)


async def test_reports_in_any_order_and_repeated_leave_the_same_membership(world):
    plan = await a_plan(world)
    [fan] = await fans(1)
    reports = [
        snap(world, "trialing", 0),
        snap(world, "active", 5),
        snap(world, "active", 10, cancel_at_period_end=True),
        snap(world, "canceled", 10),  # the same second as the one before: ended wins
    ]
    left = set()
    for n, order in enumerate(itertools.permutations(reports)):
        for report in (*order, *order[:2]):  # and the first two again
            await world.core.memberships.record(fan, plan, "stripe", f"sub_{n}", report)
        left.add(await row((await Membership.get(subscription_ref=f"sub_{n}")).id))
    assert n == 23
    [membership] = left
    assert MemberState.ENDED in membership


async def test_a_later_report_moves_on_and_an_earlier_one_changes_nothing(world):
    plan = await a_plan(world)
    [fan] = await fans(1)
    record = world.core.memberships.record
    made = await record(fan, plan, "stripe", "sub_1", snap(world, "active", 10))
    before = await row(made.id)
    late = await record(fan, plan, "stripe", "sub_1", snap(world, "past_due", 5))
    assert late.state == MemberState.ACTIVE
    assert await row(made.id) == before
    again = await record(fan, plan, "stripe", "sub_1", snap(world, "active", 10))
    assert await row(again.id) == before


async def test_a_fan_has_at_most_one_unended_membership_of_a_plan(world):
    plan, other_plan = await a_plan(world), await a_plan(world, "Tip jar")
    [fan] = await fans(1)
    record = world.core.memberships.record
    first = await record(fan, plan, "stripe", "sub_1", snap(world, "active"))
    with pytest.raises(InvalidState, match="fan #1 is already a member of the plan 'Backstage"):
        await record(fan, plan, "telegram_stars", "tg_1", snap(world, "active"))
    await record(fan, other_plan, "telegram_stars", "tg_1", snap(world, "active"))  # another plan
    # once it ended, the fan may join again; ended ones pile up
    await record(fan, plan, "stripe", "sub_1", snap(world, "canceled", 1))
    again = await record(fan, plan, "stripe", "sub_2", snap(world, "active", 2))
    assert again.id != first.id
    await record(fan, plan, "stripe", "sub_2", snap(world, "incomplete_expired", 3))
    await record(fan, plan, "stripe", "sub_3", snap(world, "canceled", 4))  # born ended
    assert await Membership.filter(fan_id=fan, plan_id=plan).count() == 3


async def test_racing_subscriptions_of_one_fan_to_one_plan_make_one_membership(world):
    plan = await a_plan(world)
    [fan] = await fans(1)
    results = await asyncio.gather(
        *(
            world.core.memberships.record(fan, plan, "stripe", f"sub_{n}", snap(world, "active"))
            for n in range(8)
        ),
        return_exceptions=True,
    )
    made = [result for result in results if not isinstance(result, BaseException)]
    assert len(made) == 1
    assert all(isinstance(r, InvalidState) for r in results if r not in made)
    assert await Membership.filter(fan_id=fan, plan_id=plan).count() == 1


async def test_one_subscription_reported_many_times_at_once_is_one_membership(world):
    plan = await a_plan(world)
    [fan] = await fans(1)
    reports = [snap(world, status, n) for n, status in enumerate(["trialing", "active"] * 4)]
    results = await asyncio.gather(
        *(world.core.memberships.record(fan, plan, "stripe", "sub_1", r) for r in reports),
        return_exceptions=True,
    )
    assert [r for r in results if isinstance(r, BaseException)] == []
    [membership] = await Membership.all()
    assert membership.snapshot_at == reports[-1].as_of  # the latest report's, however they ran
    assert membership.state == MemberState.ACTIVE


async def test_the_database_refuses_a_second_unended_membership(world):
    plan = await a_plan(world)
    [fan] = await fans(1)
    made = await world.core.memberships.record(fan, plan, "stripe", "sub_1", snap(world, "active"))
    first = await Membership.get(id=made.id)
    fields = {
        name: getattr(first, name)
        for name in Membership._meta.db_fields
        if name not in {"id", "subscription_ref"}
    }
    with pytest.raises(IntegrityError):
        await Membership.create(**fields, subscription_ref="sub_2")
    with pytest.raises(IntegrityError):  # an ended state holds no place, and needs none
        await Membership.create(**(fields | {"state": MemberState.ENDED}), subscription_ref="x")
    with pytest.raises(IntegrityError):  # one membership per subscription
        await Membership.create(**(fields | {"state": MemberState.ENDED, "live": None}),
                                subscription_ref="sub_1")  # fmt: skip
    await Membership.create(**(fields | {"state": MemberState.ENDED, "live": None}),
                            subscription_ref="sub_3")  # fmt: skip


async def test_members_of_an_archived_plan_keep_it(world):
    plan = await a_plan(world)
    [fan] = await fans(1)
    record = world.core.memberships.record
    await record(fan, plan, "stripe", "sub_1", snap(world, "active"))
    await world.core.plans.archive(plan)
    renewed = await record(fan, plan, "stripe", "sub_1", snap(world, "active", 60))
    assert renewed.state == MemberState.ACTIVE
    assert (await plan_view(plan)).members == (("active", 1),)


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((1, 1, "paypal", "sub_1"), InvalidInput, "'paypal' does not run subscriptions"),
        ((1, 1, "stripe", " "), InvalidInput, "a subscription reference is 1 to 255"),
        ((1, 1, "stripe", "s" * 256), InvalidInput, "a subscription reference is 1 to 255"),
        ((99, 1, "stripe", "sub_1"), NotFound, "there is no fan #99"),
        ((1, 99, "stripe", "sub_1"), NotFound, "there is no plan #99"),
    ],
)
async def test_a_report_that_names_nothing_known_is_refused(world, args, error, message):
    await a_plan(world)
    await fans(1)
    with pytest.raises(error, match=message):
        await world.core.memberships.record(*args, snap(world, "active"))
    with pytest.raises(InvalidInput, match="is not one of"):
        await world.core.memberships.record(1, 1, "stripe", "sub_1", snap(world, "gone"))
    assert await Membership.all().count() == 0


async def test_two_accounts_both_members_of_a_plan_are_not_joined(world):
    plan = await a_plan(world)
    kept = await fan_for(Platform.TELEGRAM, "2002", "Ada")
    merged = await fan_for(Platform.DISCORD, "5002", "Ada")
    record = world.core.memberships.record
    await record(kept, plan, "stripe", "sub_1", snap(world, "active"))
    await record(merged, plan, "telegram_stars", "tg_1", snap(world, "active"))
    code = await world.core.account_linking.issue(kept)
    with pytest.raises(InvalidState, match="both accounts are members of 'Backstage club'"):
        await world.core.account_linking.redeem(code, merged)
    assert await Membership.filter(fan_id=merged).count() == 1
    # once one membership ended, the accounts join and the fan has both rows
    await record(merged, plan, "telegram_stars", "tg_1", snap(world, "canceled", 1))
    await world.core.account_linking.redeem(await world.core.account_linking.issue(kept), merged)
    assert await Membership.filter(fan_id=kept).count() == 2
    exported = await export(kept)
    assert [(m["plan__name"], m["state"]) for m in exported["memberships"]] == [
        ("Backstage club", "active"),
        ("Backstage club", "ended"),
    ]


async def test_a_membership_is_read_by_its_id(world):
    with pytest.raises(NotFound, match="there is no membership #7"):
        await membership_view(7)
