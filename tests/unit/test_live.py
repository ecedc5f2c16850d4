"""Live sessions: each step once, codes said on air earn points once, and the summary
counts what the session did."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.drops.order_rows import PaymentReceived
from core.errors import InvalidInput, InvalidState, NotFound
from core.kinds import Platform
from core.messages import LateStart, LiveReminder
from core.models import Attendance, Community
from tests.builders import fans, open_drop, tier


async def on_air(world, drop_id: int | None = None):
    starts = world.clock.now() + timedelta(minutes=10)
    session = await world.core.live.schedule("Friday listening", starts, drop_id=drop_id)
    world.clock.advance(minutes=10)
    return await world.core.live.start(session.id)


async def test_a_session_goes_live_once_and_ends_once(world):
    session = await on_air(world)
    assert session.status == "live"
    with pytest.raises(InvalidState, match="is live, not scheduled"):
        await world.core.live.start(session.id)
    with pytest.raises(InvalidState, match="is live, not scheduled"):
        await world.core.live.cancel(session.id)
    await world.core.live.end(session.id)
    with pytest.raises(InvalidState, match="is ended, not live"):
        await world.core.live.end(session.id)


async def test_bad_sessions_are_refused(world):
    now = world.clock.now()
    with pytest.raises(InvalidInput, match="future time"):
        await world.core.live.schedule("Late", now - timedelta(minutes=1))
    with pytest.raises(InvalidInput, match="5 to 240 minutes"):
        await world.core.live.schedule("Long", now + timedelta(hours=1), minutes=600)
    with pytest.raises(NotFound, match="no drop #9"):
        await world.core.live.schedule("Drop", now + timedelta(hours=1), drop_id=9)
    planned = await world.core.live.schedule("Later", now + timedelta(hours=1))
    with pytest.raises(InvalidState, match="is scheduled, not live"):
        await world.core.live.end(planned.id)
    with pytest.raises(NotFound, match="no live session #99"):
        await world.core.live.start(99)


async def test_a_live_code_earns_points_once_and_only_while_it_lasts(world):
    [fan, late] = await fans(2)
    with pytest.raises(InvalidState, match="no live session right now"):
        await world.core.attendance.new_code()
    with pytest.raises(InvalidState, match="no live session right now"):
        await world.core.attendance.check_in(fan)
    session = await on_air(world)
    code = await world.core.attendance.new_code(minutes=5)
    assert await world.core.attendance.claim(code.lower(), fan) == 10
    with pytest.raises(InvalidState, match="claimed that code already"):
        await world.core.attendance.claim(code, fan)
    with pytest.raises(InvalidInput, match="not a live code"):
        await world.core.attendance.claim("ZZZZZZ", fan)
    world.clock.advance(minutes=6)
    with pytest.raises(InvalidState, match="expired"):
        await world.core.attendance.claim(code, late)
    assert await world.core.recognition.points(fan) == 10
    assert await world.core.recognition.points(late) == 0
    await world.core.attendance.check_in(late)
    await world.core.attendance.check_in(late)
    assert await Attendance.filter(session_id=session.id).count() == 2


async def test_the_summary_counts_listeners_claims_and_orders_after_the_start(world):
    drop = await open_drop(world.core, tier(stock=10))
    buyers = await fans(3)
    session = await on_air(world, drop.id)
    code = await world.core.attendance.new_code()
    for fan in buyers[:2]:
        await world.core.attendance.claim(code, fan)
    for minutes, fan in ((4, buyers[0]), (8, buyers[1])):
        world.clock.advance(minutes=minutes)
        hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
        await world.core.payments.settle(
            PaymentReceived(f"pi_{fan}", "stripe", hold.id, hold.price)
        )
    summary = await world.core.live.end(session.id)
    world.clock.advance(hours=2)
    hold = await world.core.holds.reserve(drop.tiers[0].id, buyers[2])
    await world.core.payments.settle(PaymentReceived("pi_after", "stripe", hold.id, hold.price))
    assert (summary.listeners, summary.code_claims, summary.orders_during) == (2, 2, 2)
    assert summary.median_minutes_to_paid == 8.0  # paid 4 and 12 minutes in
    later = await world.core.live.summary(session.id)
    assert (later.orders_during, later.orders_within_24h) == (2, 3)


async def test_minutes_in_the_voice_channel_earn_points_up_to_the_cap(world):
    [stayed, popped_in, marathon] = await fans(3)
    starts = world.clock.now() + timedelta(minutes=1)
    session = await world.core.live.schedule("Stage", starts)
    world.clock.advance(minutes=1)
    await world.core.attendance.joined_voice("stage-1", stayed)  # not live yet: not counted
    await world.core.live.start(session.id, voice_channel_ref="stage-1")
    for fan in (stayed, popped_in, marathon):
        await world.core.attendance.joined_voice("stage-1", fan)
    await world.core.attendance.joined_voice("other-channel", stayed)  # another channel: ignored
    world.clock.advance(minutes=3)
    await world.core.attendance.left_voice("stage-1", popped_in)
    await world.core.attendance.left_voice("stage-1", popped_in)  # a repeated event adds nothing
    world.clock.advance(minutes=57)
    await world.core.attendance.left_voice("stage-1", stayed)
    summary = await world.core.live.end(session.id)  # the marathon listener is still in
    points = [await world.core.recognition.points(fan) for fan in (stayed, popped_in, marathon)]
    assert points == [40, 3, 40]  # a minute a point, at most 40 a session
    assert (summary.listeners, summary.minutes_listened) == (3, 123)


async def test_a_reminder_due_during_an_outage_arrives_once_the_platform_is_back(world):
    session = await world.core.live.schedule("Friday", world.clock.now() + timedelta(hours=1))
    [fan] = await fans(1)
    await world.core.live_reminders.rsvp(session.id, fan)
    world.clock.advance(minutes=51)
    world.messenger.failing = True
    assert await world.core.live_reminders.remind_due() == 1  # stamped, and owed with the stamp
    assert world.messenger.to(fan) == []
    world.messenger.failing = False
    world.clock.advance(seconds=5)
    await world.core.notices.drain()
    assert await world.core.live_reminders.remind_due() == 0
    await world.core.notices.drain()
    assert [m.stage for m in world.messenger.to(fan) if isinstance(m, LiveReminder)] == ["soon"]


async def test_a_late_start_nudge_owed_during_an_outage_reaches_the_creator_once(world):
    starts = world.clock.now() + timedelta(minutes=30)
    session = await world.core.live.schedule("Friday", starts)
    desk = world.app.desk
    world.clock.advance(minutes=31)
    desk.failing = True
    assert await world.core.live_reminders.nudge_late() == 1  # stamped, and owed with the stamp
    desk.failing = False
    assert await world.core.live_reminders.nudge_late() == 0
    world.clock.advance(seconds=5)
    await world.core.notices.drain()
    await world.core.notices.drain()
    assert desk.notes == [LateStart(session.id, "Friday", starts)]


async def test_those_who_sign_up_get_each_reminder_once_and_the_post_follows_the_session(world):
    drop = await open_drop(world.core, tier(stock=5))
    starts = world.clock.now() + timedelta(days=2)
    session = await world.core.live.schedule("Friday listening", starts, drop_id=drop.id)
    [early, late] = await fans(2)
    await world.core.live_reminders.rsvp(session.id, early)
    await world.core.live_reminders.rsvp(session.id, early)  # twice: still one sign-up
    world.clock.advance(days=1, minutes=1)  # 23 h 59 min before
    assert await world.core.live_reminders.remind_due() == 1
    assert await world.core.live_reminders.remind_due() == 0
    world.clock.advance(hours=23, minutes=50)  # 9 min before
    await world.core.live_reminders.rsvp(session.id, late)
    assert (
        await world.core.live_reminders.remind_due() == 2
    )  # "soon" to both; no "day" for the late one
    await world.core.live.start(session.id)
    assert await world.core.live_reminders.remind_due() == 2
    assert await world.core.live_reminders.remind_due() == 0
    stages = [m.stage for m in world.messenger.to(early) if isinstance(m, LiveReminder)]
    assert stages == ["day", "soon", "now"]
    assert [m.stage for m in world.messenger.to(late) if isinstance(m, LiveReminder)] == [
        "soon",
        "now",
    ]
    with pytest.raises(InvalidState, match="too late to sign up"):
        await world.core.live_reminders.rsvp(session.id, late)


async def test_a_session_is_announced_only_where_the_creator_chose(world):
    here = await Community.create(platform=Platform.TELEGRAM, platform_ref="-1", name="Here")
    await Community.create(platform=Platform.TELEGRAM, platform_ref="-2", name="Elsewhere")
    starts = world.clock.now() + timedelta(hours=1)
    with pytest.raises(NotFound, match="no community #99"):
        await world.core.live.schedule("Nowhere", starts, communities=[99])
    chosen = await world.core.live.schedule("Small room", starts, communities=[here.id])
    everywhere = await world.core.live.schedule("Big room", starts)
    posted = sorted(world.announcer.live_posts)
    assert posted == [(here.id, chosen.id), (here.id, everywhere.id), (here.id + 1, everywhere.id)]
