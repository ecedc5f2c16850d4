"""The access report on memory adapters, which cannot list who holds a perk (as Telegram
cannot): perks are checked against the access log; a Stripe membership whose period ended a
day ago with no report since says webhooks went quiet; the daily note reaches the admins once
a day, whichever clock sends it, and only when there is something to say. The Discord side,
where the platform is asked, is tests/integration/test_member_perks_discord.py."""

from __future__ import annotations

from datetime import timedelta

from adapters.memory import MemoryDesk, MemoryPerks
from bots.bootstrap import bootstrap
from config import load_settings
from core.memberships.access_report import Mismatch, MismatchKind
from core.messages import AccessReportNote
from tests.builders import fans
from tests.unit.test_member_perks import a_plan
from tests.unit.test_memberships import snap


def kinds(report) -> list[tuple[str, int | None]]:
    return [(m.kind, m.fan_id) for m in report.mismatches]


async def test_a_member_whose_grant_failed_is_reported_until_the_sweep_grants_it(world):
    plan = await a_plan(world, "backstage")
    [fan] = await fans(1)
    world.perks.failing = True
    await world.core.memberships.record(fan, plan, "stripe", "sub_1", snap(world, "active"))
    report = await world.core.access.report()
    assert kinds(report) == [(MismatchKind.MISSING_ACCESS, fan)]
    assert "by the access log" in report.mismatches[0].detail
    world.perks.failing = False
    await world.core.perks.sweep()
    assert (await world.core.access.report()).clean


async def test_quiet_stripe_webhooks_are_reported_with_their_likely_cause(world):
    plan = await a_plan(world, "backstage")
    [fan] = await fans(1)
    record = world.core.memberships.record
    member = await record(fan, plan, "stripe", "sub_1", snap(world, "active"))
    assert member.current_period_end is not None
    world.clock.set(member.current_period_end + timedelta(hours=23))
    assert kinds(await world.core.access.report()) == []  # a renewal may take hours
    world.clock.set(member.current_period_end + timedelta(days=1, minutes=1))
    [quiet] = (await world.core.access.report()).mismatches
    assert (quiet.kind, quiet.fan_id) == (MismatchKind.WEBHOOKS_QUIET, fan)
    assert "lacks the subscription events" in quiet.detail
    renewed = snap(world, "active", current_period_start=member.current_period_end,
                   current_period_end=member.current_period_end + timedelta(days=30))  # fmt: skip
    await record(fan, plan, "stripe", "sub_1", renewed)
    assert (await world.core.access.report()).clean


async def test_another_check_adds_its_own_lines(world):
    stars = Mismatch("stars_still_charging", 7, "Telegram still charges fan #7 for Club")
    world.core.access.add_source(lambda: _just(stars))
    extra = Mismatch("other", None, "something else")
    report = await world.core.access.report(extra=[extra])
    assert report.mismatches == (extra, stars)


async def _just(mismatch: Mismatch) -> list[Mismatch]:
    return [mismatch]


async def test_the_daily_note_goes_to_the_admins_once_a_day_and_only_with_news(world, db):
    desk = world.app.desk
    assert isinstance(desk, MemoryDesk)
    assert not await world.core.access.daily()  # nothing to say
    assert desk.notes == []
    plan = await a_plan(world, "backstage")
    [fan] = await fans(1)
    member = await world.core.memberships.record(
        fan, plan, "stripe", "sub_1", snap(world, "active")
    )
    assert member.current_period_end is not None
    world.clock.set(member.current_period_end + timedelta(days=2))
    # a second clock process on the same database, as after a redeploy
    other = bootstrap(load_settings(database_url=db), clock=world.clock, desk=MemoryDesk(),
                      perks=MemoryPerks())  # fmt: skip
    assert await world.core.access.daily()
    assert not await other.core.access.daily()
    assert not await world.core.access.daily()
    [note] = desk.notes
    assert isinstance(note, AccessReportNote)
    assert (note.day, note.total) == (world.clock.now().date().isoformat(), 1)
    assert "renewals are not arriving" in note.lines[0]
    world.clock.advance(days=1)
    assert await other.core.access.daily()
    assert (len(desk.notes), len(other.desk.notes)) == (1, 1)  # type: ignore[attr-defined]
    await other.close()
