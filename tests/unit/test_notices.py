"""Nothing lost, nothing doubled: what a change owes fans and communities is written with
the change and delivered until it is done or `failed` with its reason (core/notices.py)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

from core.claims import INTERRUPTED, MAX_ATTEMPTS, SILENT
from core.drops.order_rows import PaymentReceived
from core.events import OrderPaid
from core.kinds import NoticeStatus, Platform
from core.messages import DropAnnouncement, FanMessage, OrderConfirmed, PayLinkOffer
from core.models import Community, Notice, Order, Worker
from core.money import Money
from core.notices import decode, encode
from tests.builders import fans, open_drop, tier

PRICE = Money(2500, "EUR")


def paid(hold_id: int, payment_id: str = "pi_1") -> PaymentReceived:
    return PaymentReceived(payment_id, "stripe", hold_id, PRICE)


async def statuses() -> list[tuple[str, str]]:
    return await Notice.all().order_by("id").values_list("subscriber", "status")  # type: ignore[return-value]


def receipts(world, fan: int) -> list[FanMessage]:
    return [m for m in world.messenger.to(fan) if isinstance(m, OrderConfirmed)]


async def test_a_receipt_owed_during_an_outage_arrives_once_the_platform_is_back(world):
    drop = await open_drop(world.core, tier(kind="digital"))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    world.messenger.failing = True
    order = await world.core.payments.settle(paid(hold.id))
    assert (order.status, receipts(world, fan)) == ("paid", [])
    [notice] = await Notice.filter(subscriber="dm.receipt")
    assert (notice.status, notice.attempts) == (NoticeStatus.QUEUED, 1)
    assert notice.reason == "ConnectionError: the platform is unreachable"

    world.messenger.failing = False
    assert await world.core.notices.drain() == 0  # not before its retry time
    world.clock.advance(seconds=5)
    assert await world.core.notices.drain() == 1
    assert len(receipts(world, fan)) == 1
    assert ("dm.receipt", "sent") in await statuses()
    world.clock.advance(hours=1)
    assert await world.core.notices.drain() == 0
    assert len(receipts(world, fan)) == 1


async def bought_while_the_platform_is_down(world) -> int:
    """A fan who paid while their platform was down (it stays down): their receipt waits."""
    drop = await open_drop(world.core, tier(kind="digital"))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    world.messenger.failing = True
    await world.core.payments.settle(paid(hold.id))
    return fan


async def test_a_notice_that_keeps_failing_ends_failed_with_why_and_can_be_retried(world):
    fan = await bought_while_the_platform_is_down(world)
    for _ in range(MAX_ATTEMPTS):
        world.clock.advance(hours=1)
        await world.core.notices.drain()
    [notice] = await Notice.filter(subscriber="dm.receipt")
    assert (notice.status, notice.attempts) == (NoticeStatus.FAILED, MAX_ATTEMPTS)
    assert (await world.core.notices.counts())["failed"] == 1
    world.clock.advance(days=1)
    assert await world.core.notices.drain() == 0  # failed is final until retried
    world.messenger.failing = False
    assert await world.core.notices.retry([notice.id]) == [notice.id]
    assert len(receipts(world, fan)) == 1
    assert await world.core.notices.retry([notice.id]) == []  # sent: nothing to retry


async def killed_after(task: asyncio.Task[object], reached: asyncio.Event) -> None:
    """The process dies (SIGKILL: no cleanup) once `reached` is set."""
    await reached.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_a_receipt_a_process_died_before_sending_is_sent_by_a_survivor(world):
    drop = await open_drop(world.core, tier(kind="digital"))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    committed = asyncio.Event()

    async def dies_here(_: OrderPaid) -> None:  # right after the commit, before delivering
        committed.set()
        await asyncio.Event().wait()

    world.core.bus.subscribe(OrderPaid, dies_here)
    paying = asyncio.create_task(world.core.payments.settle(paid(hold.id)))
    await killed_after(paying, committed)
    assert await Order.filter(status="paid").count() == 1
    assert receipts(world, fan) == []
    assert await world.core.notices.drain() == 0  # left to its own process for a moment
    world.clock.advance(seconds=5)
    await world.core.notices.drain()
    assert len(receipts(world, fan)) == 1
    assert await world.core.recognition.points(fan) > 0  # and what the sale earned


async def test_a_message_a_killed_process_was_sending_is_never_sent_twice(world):
    """It may have reached the fan before the process died: it ends failed, saying so,
    where the creator can retry it; nothing else of the sale is lost."""
    drop = await open_drop(world.core, tier(kind="digital"))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    sending = asyncio.Event()
    send = world.messenger.send

    async def reaches_the_platform(fan_id: int, message: FanMessage) -> bool:
        await send(fan_id, message)  # the platform has it; the process dies before noting so
        sending.set()
        await asyncio.Event().wait()
        return True

    world.messenger.send = reaches_the_platform
    await killed_after(asyncio.create_task(world.core.payments.settle(paid(hold.id))), sending)
    world.messenger.send = send
    [claimed] = await Notice.filter(status=NoticeStatus.SENDING)
    # the dead process had said it was alive; a survivor does not take over while it might be
    await Worker.create(id=claimed.claimed_by, role="web", seen_at=world.clock.now())
    assert await world.core.notices.drain() == 0
    world.clock.advance(seconds=SILENT.total_seconds() + 1)
    await world.core.notices.drain()
    await world.core.notices.drain()
    assert len(receipts(world, fan)) == 1
    receipt = await Notice.get(id=claimed.id)
    assert (receipt.status, receipt.reason) == (NoticeStatus.FAILED, INTERRUPTED)
    assert await world.core.recognition.points(fan) > 0


async def test_a_survivor_does_not_take_over_what_a_live_process_is_delivering(world):
    fan = await bought_while_the_platform_is_down(world)
    await Notice.filter(subscriber="dm.receipt").update(
        status=NoticeStatus.SENDING,
        claimed_by="web-2",
        due_at=world.clock.now() + timedelta(minutes=2),
    )
    await Worker.create(id="web-2", role="web", seen_at=world.clock.now())
    world.messenger.failing = False
    world.clock.advance(seconds=SILENT.total_seconds() - 1)
    assert await world.core.notices.drain() == 0
    assert receipts(world, fan) == []


async def test_when_one_platform_is_down_the_other_communities_still_get_their_posts(world):
    discord = await Community.create(platform=Platform.DISCORD, platform_ref="g1", name="Guild")
    telegram = await Community.create(platform=Platform.TELEGRAM, platform_ref="-1", name="Chat")
    world.announcer.down_in.add(discord.id)
    drop = await open_drop(world.core, tier())
    assert (telegram.id, drop.id) in world.announcer.posts
    assert (discord.id, drop.id) not in world.announcer.posts
    world.announcer.down_in.clear()
    world.clock.advance(seconds=5)
    await world.core.notices.drain()
    assert world.announcer.posts[(discord.id, drop.id)].status == "open"


async def test_one_posts_edits_go_out_in_order_one_at_a_time(world):
    """A sold-out edit waits for the opening post that failed before it, so the post never
    goes back to an older state."""
    guild = await Community.create(platform=Platform.DISCORD, platform_ref="g1", name="Guild")
    world.announcer.down_in.add(guild.id)
    drop = await open_drop(world.core, tier(stock=1))
    [fan] = await fans(1)
    await world.core.holds.reserve(drop.tiers[0].id, fan)  # the last unit: sold out
    world.announcer.down_in.clear()
    posts = await Notice.filter(subscriber__startswith="post.").order_by("id")
    assert [(n.kind, n.status) for n in posts] == [
        ("DropOpened", NoticeStatus.QUEUED),
        ("DropSoldOut", NoticeStatus.QUEUED),
    ]
    assert posts[1].attempts == 0  # not tried while the one before it waits
    world.clock.advance(seconds=5)
    await world.core.notices.drain()
    await world.core.notices.drain()
    await world.core.notices.settled()
    assert world.announcer.posts[(guild.id, drop.id)].status == "sold_out"
    assert (
        await Notice.filter(subscriber__startswith="post.", status=NoticeStatus.SENT).count() == 2
    )


async def test_a_waitlist_offer_survives_a_clock_that_died_after_lapsing_the_hold(world):
    drop = await open_drop(world.core, tier(stock=1), hold_minutes=10)
    first, waiting = await fans(2)
    await world.core.holds.reserve(drop.tiers[0].id, first)
    await world.core.holds.join_waitlist(drop.tiers[0].id, waiting)
    world.messenger.failing = True  # the clock lapses the hold, then cannot say so
    world.clock.advance(minutes=11)
    assert await world.core.holds.expire_due() == 1
    assert [m for m in world.messenger.to(waiting) if isinstance(m, PayLinkOffer)] == []
    world.messenger.failing = False
    world.clock.advance(seconds=5)
    await world.core.notices.drain()
    [offer] = [m for m in world.messenger.to(waiting) if isinstance(m, PayLinkOffer)]
    assert offer.from_waitlist
    assert offer.url.startswith("http")


async def test_an_event_reads_back_as_it_was_written():
    at = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    event = OrderPaid(at, 7, 3, 4, 9, Money(999, "JPY"), "pi_9", "Drop", "Tier", None, 2)
    assert decode("OrderPaid", encode(event)) == event


async def test_delivered_notices_are_forgotten_after_a_week_and_failed_ones_kept(world):
    drop = await open_drop(world.core, tier(kind="digital"))
    first, second = await fans(2)
    await world.core.payments.settle(
        paid((await world.core.holds.reserve(drop.tiers[0].id, first)).id)
    )
    world.messenger.failing = True
    hold = await world.core.holds.reserve(drop.tiers[0].id, second)
    await world.core.payments.settle(paid(hold.id, "pi_2"))
    await Notice.filter(subscriber="dm.receipt", status=NoticeStatus.QUEUED).update(
        status=NoticeStatus.FAILED
    )
    world.clock.advance(days=6)
    assert await world.core.notices.prune() == 0
    world.clock.advance(days=2)
    assert await world.core.notices.prune() >= 1
    assert await Notice.filter(status=NoticeStatus.SENT).count() == 0
    assert await Notice.filter(status=NoticeStatus.FAILED).count() == 1


async def test_the_last_buyer_is_answered_before_the_sold_out_posts_are_edited(world):
    guild = await Community.create(platform=Platform.DISCORD, platform_ref="g1", name="Guild")
    drop = await open_drop(world.core, tier(stock=1))
    [fan] = await fans(1)
    edit_started, platform_answers = asyncio.Event(), asyncio.Event()
    announce = world.announcer.announce

    async def slow_edit(community_id: int, announcement: DropAnnouncement) -> None:
        edit_started.set()
        await platform_answers.wait()  # the platform takes its time with the edit
        await announce(community_id, announcement)

    world.announcer.announce = slow_edit
    hold = await asyncio.wait_for(world.core.holds.reserve(drop.tiers[0].id, fan), 5)
    assert hold.status == "held"
    await edit_started.wait()
    assert world.announcer.posts[(guild.id, drop.id)].status == "open"
    platform_answers.set()
    await world.core.notices.settled()
    assert world.announcer.posts[(guild.id, drop.id)].status == "sold_out"
