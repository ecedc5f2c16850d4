"""Members hold their plan's perks exactly while their membership grants access, as the union
of everything that grants a perk: a perk is taken back only when nothing grants it any more.
Access that ends by time (grace running out, a cancelled period ending) is taken back by the
sweep at that time; every grant and removal is in the access log with its cause."""

from __future__ import annotations

from datetime import timedelta

from core.kinds import Platform
from core.memberships.plans import PlanSpec
from core.messages import PerkGranted, PerkTakenBack
from core.models import Notice, Perk, PerkChange
from core.money import parse_price
from tests.builders import fans, open_drop, tier
from tests.unit.test_memberships import GRACE, snap
from tests.unit.test_perks import buy


async def a_plan(world, *perks: str, lapsed: str | None = None) -> int:
    """A plan granting `perks`, each registered first (as a creator names them in a bot)."""
    for name in dict.fromkeys([*perks, *([lapsed] if lapsed else [])]):  # in order: ids
        await world.core.perks.register(name, name.title(), Platform.SANDBOX, "-1", f"-{name}")
    spec = PlanSpec("Club", parse_price("5.00 EUR"), perks=perks, lapsed_perk=lapsed)
    return (await world.core.plans.create(spec)).id


async def held(world, fan: int) -> set[str]:
    """The names of the perks the platform says the fan holds."""
    names = dict(await Perk.all().values_list("id", "name"))
    return {names[perk] for who, perk in world.perks.granted if who == fan}


async def log(fan: int) -> list[tuple[str, str, str]]:
    """The fan's access log: (perk, granted or revoked, cause), oldest first."""
    changes = await PerkChange.filter(fan_id=fan).select_related("perk").order_by("id")
    return [(c.perk.name, str(c.change), c.cause) for c in changes]


async def test_a_membership_grants_its_plans_perks_and_its_end_takes_them_back(world):
    plan = await a_plan(world, "backstage", "insider")
    [fan] = await fans(1)
    member = await world.core.memberships.record(
        fan, plan, "stripe", "sub_1", snap(world, "active")
    )
    assert await held(world, fan) == {"backstage", "insider"}
    told = [m for m in world.messenger.to(fan) if isinstance(m, PerkGranted)]
    assert sorted(m.title for m in told) == ["Backstage", "Insider"]
    await world.core.memberships.record(fan, plan, "stripe", "sub_1", snap(world, "canceled", 1))
    assert await held(world, fan) == set()
    assert await log(fan) == [
        ("backstage", "granted", f"membership #{member.id} started (active)"),
        ("insider", "granted", f"membership #{member.id} started (active)"),
        ("backstage", "revoked", f"membership #{member.id} active → ended"),
        ("insider", "revoked", f"membership #{member.id} active → ended"),
    ]
    assert await world.core.perks.sweep() == 0


async def test_a_perk_that_an_order_grants_too_is_kept_when_the_membership_ends(world):
    plan = await a_plan(world, "backstage")
    drop = await open_drop(world.core, tier("Pass", kind="digital", perk="backstage"))
    [fan] = await fans(1)
    order = await buy(world, fan, drop.tiers[0].id)
    await world.core.memberships.record(fan, plan, "stripe", "sub_1", snap(world, "active"))
    await world.core.memberships.record(fan, plan, "stripe", "sub_1", snap(world, "canceled", 1))
    assert await held(world, fan) == {"backstage"}
    assert [call for call, _, _ in world.perks.calls] == ["grant"]
    await world.core.orders.refund(order, "changed my mind")
    assert await held(world, fan) == set()
    assert (await log(fan))[-1] == ("backstage", "revoked", f"order #{order} refunded")


async def test_grace_keeps_the_perk_and_the_sweep_takes_it_when_grace_runs_out(world):
    plan = await a_plan(world, "backstage")
    [fan] = await fans(1)
    record = world.core.memberships.record
    await record(fan, plan, "stripe", "sub_1", snap(world, "active"))
    # the renewal failed: access until the grace period after the period's start (a day ago)
    late = await record(fan, plan, "stripe", "sub_1", snap(world, "past_due", 1))
    assert late.access_until == world.clock.now() - timedelta(days=1) + GRACE
    world.clock.set(late.access_until - timedelta(minutes=1))
    await world.core.perks.sweep()
    assert await held(world, fan) == {"backstage"}
    world.clock.set(late.access_until)
    assert await world.core.perks.sweep() == 1
    assert await held(world, fan) == set()
    assert (await log(fan))[-1] == ("backstage", "revoked", "sweep")
    assert isinstance(world.messenger.to(fan)[-1], PerkTakenBack)


async def test_a_membership_cancelled_at_period_end_keeps_its_perk_until_then(world):
    plan = await a_plan(world, "backstage")
    [fan] = await fans(1)
    ending = snap(world, "active", cancel_at_period_end=True)
    member = await world.core.memberships.record(fan, plan, "stripe", "sub_1", ending)
    assert member.access_until == ending.current_period_end
    world.clock.set(member.access_until - timedelta(seconds=1))
    await world.core.perks.sweep()
    assert await held(world, fan) == {"backstage"}
    world.clock.set(member.access_until)
    await world.core.perks.sweep()
    assert await held(world, fan) == set()


async def test_a_lapsed_member_holds_the_plans_lapsed_perk_instead(world):
    plan = await a_plan(world, "backstage", lapsed="lapsed")
    [fan] = await fans(1)
    record = world.core.memberships.record
    member = await record(fan, plan, "stripe", "sub_1", snap(world, "active"))
    late = await record(fan, plan, "stripe", "sub_1", snap(world, "past_due", 1))
    assert await held(world, fan) == {"backstage"}  # in grace: still a member
    assert late.access_until is not None
    world.clock.set(late.access_until)
    await world.core.perks.sweep()
    assert await held(world, fan) == {"lapsed"}  # grace ran out
    await record(fan, plan, "stripe", "sub_1", snap(world, "unpaid", 2))
    assert await held(world, fan) == {"lapsed"}
    await record(fan, plan, "stripe", "sub_1", snap(world, "active", 3))  # a new card
    assert await held(world, fan) == {"backstage"}
    assert (await log(fan))[-2:] == [
        ("backstage", "granted", f"membership #{member.id} lapsed → active"),
        ("lapsed", "revoked", f"membership #{member.id} lapsed → active"),
    ]
    await record(fan, plan, "stripe", "sub_1", snap(world, "canceled", 4))
    assert await held(world, fan) == set()


async def test_the_access_log_says_why_for_linking_the_creator_and_forgetting(world):
    perk = await world.core.perks.register("vip", "VIP", Platform.SANDBOX, "-1", "-1")
    [fan] = await fans(1)
    await world.core.perks.for_tier(perk.name, "fan")
    await world.core.perks.release_all(fan)
    assert await log(fan) == [
        ("vip", "granted", "creator: vip for fan"),
        ("vip", "revoked", "the fan asked to be forgotten"),
    ]


async def test_a_platform_that_failed_leaves_nothing_in_the_log_until_it_grants(world):
    plan = await a_plan(world, "backstage")
    [fan] = await fans(1)
    world.perks.failing = True
    await world.core.memberships.record(fan, plan, "stripe", "sub_1", snap(world, "active"))
    assert await log(fan) == []
    world.perks.failing = False
    await world.core.perks.sweep()
    assert await log(fan) == [("backstage", "granted", "sweep")]


async def test_a_renewal_keeps_the_perks_and_queues_no_perk_work(world):
    plan = await a_plan(world, "backstage")
    [fan] = await fans(1)
    record, month = world.core.memberships.record, timedelta(days=30)
    await record(fan, plan, "stripe", "sub_1", snap(world, "active"))
    owed = await Notice.filter(subscriber="perks.membership").count()
    renewed = snap(world, "active", 2, current_period_end=world.clock.now() + month + month)
    assert (await record(fan, plan, "stripe", "sub_1", renewed)).access_until is not None
    assert await Notice.filter(subscriber="perks.membership").count() == owed
    assert await held(world, fan) == {"backstage"}
    await record(fan, plan, "stripe", "sub_1", snap(world, "unpaid", 3))  # then it lapses
    assert await Notice.filter(subscriber="perks.membership").count() == owed + 1
    assert await held(world, fan) == set()
