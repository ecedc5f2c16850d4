"""Campaigns and their outbox on memory adapters: who gets a DM, what it says, and the
limits that hold however it is sent (invariant 4), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from config import load_settings
from core.campaigns.outbox import FIRST_RETRY
from core.campaigns.segments import Segment
from core.claims import INTERRUPTED, MAX_ATTEMPTS, SILENT
from core.drops.order_rows import PaymentReceived
from core.errors import InvalidInput, InvalidState, NotFound
from core.kinds import Automatic, Platform
from core.messages import CampaignDM
from core.models import ConsentRecord, Delivery, Fan, Worker
from tests.builders import fans, open_drop, restarted_clock, tier


async def opted_in(count: int, start: int = 0) -> list[int]:
    ids = await fans(count, start)
    for fan_id in ids:
        await Fan.filter(id=fan_id).update(dm_opt_in=True)
    return ids


def dms(world, fan_id: int) -> list[CampaignDM]:
    return [m for m in world.messenger.to(fan_id) if isinstance(m, CampaignDM)]


async def drain(world) -> int:
    sent = 0
    while claimed := await world.core.outbox.drain(Platform.SANDBOX):
        sent += claimed
    return sent


async def statuses() -> dict[int, tuple[str, str | None]]:
    rows = await Delivery.all().values_list("fan_id", "status", "reason")
    return {fan: (status, reason) for fan, status, reason in rows}


async def test_a_campaign_reaches_each_opted_in_fan_once_with_their_own_link(world):
    drop = await open_drop(world.core, tier(stock=5))
    yes = await opted_in(3)
    [no] = await fans(1, start=3)
    campaign = await world.core.campaigns.create(
        "Last units", Segment(), ["Hi {name}: {drop} is {countdown}. {link}"], drop_id=drop.id
    )
    assert await drain(world) == 4
    [dm] = dms(world, yes[0])
    assert dm.text.startswith("Hi Fan 0: Winter drop is open now. http://localhost:8080/l/")
    assert dm.url is not None
    assert dm.text.endswith(dm.url)
    assert len({dms(world, fan)[0].url for fan in yes}) == 3  # a link each
    assert dms(world, no) == []
    assert (await statuses())[no] == ("skipped", "no consent")
    await world.core.tick()  # a second look at the campaign queues nothing
    assert await drain(world) == 0
    assert await Delivery.filter(campaign_id=campaign.id).count() == 4


async def test_bad_campaigns_are_refused_with_the_reason_and_nothing_is_made(world):
    await opted_in(1)
    campaigns = world.core.campaigns
    with pytest.raises(InvalidInput, match=r"unknown variable \{nmae\}"):
        await campaigns.create("Typo", Segment(), ["Hi {nmae}"])
    with pytest.raises(InvalidInput, match=r"unknown variable \{name.__class__\}"):
        await campaigns.create("Sneaky", Segment(), ["{name.__class__}"])
    with pytest.raises(InvalidInput, match="no fan is in that segment"):
        await campaigns.create("Nobody", Segment(bought=1), ["Hi"])
    with pytest.raises(InvalidInput, match="future time"):
        await campaigns.create("Late", Segment(), ["Hi"], send_at=world.clock.now())
    with pytest.raises(NotFound, match="no live session #9"):
        await campaigns.create("After", Segment(), ["Hi"], after_session=9, after_minutes=15)
    with pytest.raises(InvalidInput, match="'vip' is not a tier"):
        Segment.from_words("tier=vip")
    with pytest.raises(InvalidInput, match="'colour=red' is not a filter"):
        Segment.from_words("colour=red")
    assert await campaigns.listing() == []


async def test_a_fan_who_opts_out_gets_nothing_more_and_the_record_shows_it(world):
    [fan] = await opted_in(1)
    consent = world.core.consent
    await world.core.campaigns.create("One", Segment(), ["First {link}"], url="https://x.test")
    await drain(world)
    assert await consent.withdraw(fan, Platform.TELEGRAM, "the opt-out button")
    assert not await consent.withdraw(fan, Platform.TELEGRAM, "the opt-out button")  # twice
    await world.core.campaigns.create("Two", Segment(), ["Second"])
    await drain(world)
    assert [dm.text.split()[0] for dm in dms(world, fan)] == ["First"]
    [record] = await consent.history(fan)
    assert (record.given, record.platform, record.how) == (False, "telegram", "the opt-out button")
    assert await ConsentRecord.filter(fan_id=fan).count() == 1


async def test_the_weekly_cap_holds_across_campaigns_and_lifts_after_seven_days(world):
    [fan] = await opted_in(1)
    for name in ("One", "Two", "Three"):
        await world.core.campaigns.create(name, Segment(), [name])
        await drain(world)
        world.clock.advance(seconds=2)
    assert [dm.text for dm in dms(world, fan)] == ["One", "Two"]
    assert (await Delivery.get(campaign__name="Three")).reason == "weekly cap"
    world.clock.advance(days=7)
    await world.core.campaigns.create("Four", Segment(), ["Four"])
    await drain(world)
    assert dms(world, fan)[-1].text == "Four"


async def test_quiet_hours_hold_the_dm_until_morning_in_the_fans_time_zone(world):
    [fan] = await opted_in(1)
    await Fan.filter(id=fan).update(timezone="Asia/Tokyo")  # 12:00 UTC is 21:00 there
    world.clock.advance(hours=1, minutes=30)  # 22:30 in Tokyo
    await world.core.campaigns.create("Night", Segment(), ["Good morning"])
    await drain(world)
    world.clock.advance(hours=9, minutes=29)  # 07:59 in Tokyo
    await drain(world)
    assert dms(world, fan) == []
    world.clock.advance(minutes=1)
    await drain(world)
    assert [dm.text for dm in dms(world, fan)] == ["Good morning"]


async def test_two_variants_split_the_segment_and_each_fan_keeps_theirs(world):
    ids = await opted_in(40)
    campaign = await world.core.campaigns.create("AB", Segment(), ["Only 3 left!", "Yours?"])
    await drain(world)
    texts = {fan: dms(world, fan)[0].text for fan in ids}
    assert 10 <= list(texts.values()).count("Only 3 left!") <= 30
    labels = await Delivery.filter(campaign_id=campaign.id).values_list("fan_id", "variant__label")
    again = {fan: label for fan, label in labels}
    assert all((texts[f] == "Only 3 left!") == (again[f] == "A") for f in ids)


async def test_a_post_live_campaign_made_before_the_session_reaches_its_listeners(world):
    listened = await opted_in(2)
    [bought_already, stayed_away] = await opted_in(2, start=2)
    drop = await open_drop(world.core, tier(stock=5))
    starts = world.clock.now() + timedelta(days=1)
    session = await world.core.live.schedule("Friday", starts, drop_id=drop.id)
    segment = Segment(listened=session.id, not_bought=drop.id)
    # made the day before, as the README shows: nobody has listened yet
    campaign = await world.core.campaigns.create(
        "After the show", segment, ["Thanks for listening, {name}!"],
        after_session=session.id, after_minutes=15,
    )  # fmt: skip
    assert campaign.status == "scheduled"
    world.clock.advance(days=1)
    await world.core.live.start(session.id)
    for fan in [*listened, bought_already]:
        await world.core.attendance.check_in(fan)
    hold = await world.core.holds.reserve(drop.tiers[0].id, bought_already)
    await world.core.payments.settle(PaymentReceived("pi_1", "sandbox", hold.id, hold.price))
    await world.core.live.end(session.id)
    world.clock.advance(minutes=14)
    await world.core.tick()
    assert await drain(world) == 0
    world.clock.advance(minutes=1)
    await world.core.tick()
    await drain(world)
    fans_ = [*listened, bought_already, stayed_away]
    assert [len(dms(world, fan)) for fan in fans_] == [1, 1, 0, 0]


async def test_a_delivery_left_half_sent_is_never_sent_again(world, db):
    ids = await opted_in(3)
    await world.core.campaigns.create("Crash", Segment(), ["Once"])
    _, claimed = await world.core.outbox._claim(Platform.SANDBOX, 2)  # then the process dies
    assert len(claimed) == 2
    await Delivery.filter(status="sending").update(claimed_by="clock-1")
    await Worker.create(id="clock-1", role="clock", seen_at=world.clock.now())
    # a second clock starting meanwhile leaves the first one's DMs to it while it may be alive
    assert await world.core.outbox.interrupted() == 0
    await drain(world)
    assert sorted(s for s, _ in (await statuses()).values()) == ["sending", "sending", "sent"]
    world.clock.advance(seconds=SILENT.total_seconds() + 1)
    await drain(world)
    assert sum(len(dms(world, fan)) for fan in ids) == 1
    assert sorted((await statuses()).values()) == [
        ("failed", INTERRUPTED), ("failed", INTERRUPTED), ("sent", None)
    ]  # fmt: skip


async def test_a_campaign_sent_during_an_outage_reaches_every_fan_once_it_is_back(world):
    ids = await opted_in(3)
    await world.core.campaigns.create("Outage", Segment(), ["Hello"])
    world.messenger.failing = True
    await drain(world)
    assert set((await statuses()).values()) == {
        ("queued", "ConnectionError: the platform is unreachable")
    }
    world.messenger.failing = False
    assert await drain(world) == 0  # not before its retry time
    world.clock.advance(seconds=FIRST_RETRY.total_seconds())
    await drain(world)
    assert [len(dms(world, fan)) for fan in ids] == [1, 1, 1]
    assert set((await statuses()).values()) == {("sent", None)}


async def test_a_dm_the_platform_keeps_refusing_ends_failed_with_why_and_can_be_retried(world):
    [fan] = await opted_in(1)
    await world.core.campaigns.create("Down", Segment(), ["Hello"])
    world.messenger.failing = True
    for _ in range(2 * MAX_ATTEMPTS):  # hourly tries, none in the fan's quiet hours
        await drain(world)
        world.clock.advance(hours=1)
    [delivery] = await Delivery.all()
    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)
    assert delivery.reason == "ConnectionError: the platform is unreachable"
    world.messenger.failing = False
    await drain(world)
    assert dms(world, fan) == []  # failed stays failed until the creator says otherwise
    assert await world.core.campaigns.retry(1) == 1  # `dropcast campaign retry 1`
    await drain(world)
    assert [dm.text for dm in dms(world, fan)] == ["Hello"]
    assert await world.core.campaigns.retry(1) == 0
    await world.core.campaigns.cancel(1)
    with pytest.raises(InvalidState, match="campaign #1 is cancelled: none of it is sent"):
        await world.core.campaigns.retry(1)


async def test_two_clocks_and_two_senders_at_once_send_each_dm_once(world, db):
    ids = await opted_in(30)
    settings = load_settings(database_url=db)
    await world.core.campaigns.create(
        "Soon", Segment(), ["Hi"], send_at=world.clock.now() + timedelta(minutes=1)
    )
    world.clock.advance(minutes=1)
    await asyncio.gather(*(restarted_clock(settings, world.clock) for _ in range(2)))
    await asyncio.gather(*(world.core.outbox.drain(Platform.SANDBOX, 10) for _ in range(4)))
    await drain(world)
    assert [len(dms(world, fan)) for fan in ids] == [1] * 30


async def test_automatic_nudges_reach_a_fan_once_while_they_still_apply(world):
    [lapsed, close] = await opted_in(2)
    drop = await open_drop(world.core, tier(stock=5))
    await world.core.campaigns.switch(Automatic.ABANDONED_HOLD, "{drop} still has units: {link}")
    await world.core.campaigns.switch(Automatic.NEAR_TIER, "{points} points from {tier}!")
    await world.core.holds.reserve(drop.tiers[0].id, lapsed)
    world.clock.advance(minutes=11)
    await world.core.recognition.award(close, 40, "live_code", "code:1")
    for _ in range(2):  # the clock looks twice (the hold lapses at the first): one nudge each
        await world.core.tick()
        await world.core.campaigns.queue_automatic()
        await drain(world)
    assert [dm.text.split(":")[0] for dm in dms(world, lapsed)] == ["Winter drop still has units"]
    assert [dm.text for dm in dms(world, close)] == ["10 points from Supporter!"]
    assert await world.core.campaigns.switch(Automatic.ABANDONED_HOLD, None) is None
    with pytest.raises(InvalidState, match="abandoned hold campaign is not on"):
        await world.core.campaigns.switch(Automatic.ABANDONED_HOLD, None)


async def test_the_weekly_cap_holds_when_several_senders_race_for_one_fan(world):
    ids = await opted_in(5)
    for name in ("One", "Two", "Three", "Four"):
        await world.core.campaigns.create(name, Segment(), [name])
    for _ in range(3):  # each round: four senders at once, then the per-chat second passes
        await asyncio.gather(*(world.core.outbox.drain(Platform.SANDBOX, 3) for _ in range(4)))
        world.clock.advance(seconds=2)
    assert [len(dms(world, fan)) for fan in ids] == [2] * 5
    capped = await Delivery.filter(reason="weekly cap").count()
    assert capped == 10
