"""Provider events are kept on arrival and handled once, later; nothing kept is lost to a
failure, a crash or a second process."""

from __future__ import annotations

import asyncio
from datetime import datetime

from core import inbox as inbox_module
from core.claims import SILENT
from core.drops.order_rows import PaymentReceived
from core.inbox import Backlog, Inbox
from core.kinds import HoldStatus
from core.models import ProviderEvent, Reservation, Worker
from tests.builders import fans, handled, open_drop, tier


def recorder(calls: list[str], outcome: str = "done"):
    async def handle(kind: str, payload: str, received_at: datetime) -> str:
        calls.append(f"{kind} {payload}")
        return outcome

    return handle


async def test_an_event_is_kept_once_and_handled_once(world):
    inbox, calls = Inbox(world.clock), []
    assert await inbox.keep("stripe", "evt_1", "paid", '{"n": 1}') is True
    assert await inbox.keep("stripe", "evt_1", "paid", '{"n": 1}') is False
    assert await inbox.drain({"stripe": recorder(calls)}) == 1
    assert await inbox.drain({"stripe": recorder(calls)}) == 0
    assert calls == ['paid {"n": 1}']
    event = await ProviderEvent.get(event_id="evt_1")
    assert (event.outcome, event.processed_at, event.payload) == ("done", world.clock.now(), None)


async def test_deliveries_arriving_together_are_each_answered(world):
    inbox = Inbox(world.clock)
    answers = await asyncio.gather(
        *(inbox.keep("stripe", f"evt_{n % 5}", "paid", "{}") for n in range(10))
    )
    assert sorted(answers) == [False] * 5 + [True] * 5
    assert await ProviderEvent.all().count() == 5


async def test_the_same_id_from_another_provider_is_another_event(world):
    inbox = Inbox(world.clock)
    assert await inbox.keep("stripe", "1", "x", "{}") is True
    assert await inbox.keep("telegram", "1", "x", "{}") is True


async def test_a_failed_event_is_tried_again_later_and_not_lost(world):
    inbox, calls = Inbox(world.clock), []

    async def failing(kind: str, payload: str, received_at: datetime) -> str:
        calls.append("failed")
        raise ConnectionError("provider down")

    await inbox.keep("stripe", "evt_1", "refund", "{}")
    await inbox.keep("stripe", "evt_2", "refund", "{}")
    assert await inbox.backlog() == Backlog(waiting=2, failing=0)
    assert await inbox.drain({"stripe": failing}) == 0
    assert await inbox.backlog() == Backlog(waiting=2, failing=2)
    event = await ProviderEvent.get(event_id="evt_1")
    assert (event.outcome, event.processed_at) == ("failed 1x, last: ConnectionError", None)
    assert await inbox.drain({"stripe": recorder(calls)}) == 0  # not due yet
    world.clock.advance(seconds=30)
    assert await inbox.drain({"stripe": failing}) == 0
    world.clock.advance(seconds=59)
    assert await inbox.drain({"stripe": recorder(calls)}) == 0  # backs off: 60 s this time
    world.clock.advance(seconds=1)
    assert await inbox.drain({"stripe": recorder(calls)}) == 2
    assert calls == ["failed", "failed", "failed", "failed", "refund {}", "refund {}"]
    assert (await ProviderEvent.get(event_id="evt_1")).outcome == "done"
    assert await inbox.backlog() == Backlog(waiting=0, failing=0)


async def test_an_event_kept_before_a_restart_is_handled_by_the_next_process(world):
    await Inbox(world.clock).keep("stripe", "evt_1", "paid", "{}")
    calls: list[str] = []
    assert await Inbox(world.clock).drain({"stripe": recorder(calls)}) == 1
    assert calls == ["paid {}"]


async def test_an_event_whose_process_died_while_handling_it_is_taken_over(world):
    inbox, started = Inbox(world.clock), asyncio.Event()

    async def hangs(kind: str, payload: str, received_at: datetime) -> str:
        started.set()
        await asyncio.Event().wait()
        return "never"

    await inbox.keep("stripe", "evt_1", "paid", "{}")
    dying = asyncio.create_task(inbox.drain({"stripe": hangs}))
    await started.wait()
    dying.cancel()
    calls: list[str] = []
    other = Inbox(world.clock)
    assert await other.drain({"stripe": recorder(calls)}) == 0  # still claimed
    world.clock.advance(minutes=5)
    assert await other.drain({"stripe": recorder(calls)}) == 1
    assert calls == ["paid {}"]


async def test_two_processes_draining_at_once_handle_each_event_once(world, monkeypatch):
    monkeypatch.setattr(inbox_module, "BATCH", 3)  # many small claims, interleaved
    for n in range(40):
        await Inbox(world.clock).keep("stripe", f"evt_{n}", "paid", str(n))
    calls: list[str] = []

    async def slow(kind: str, payload: str, received_at: datetime) -> str:
        await asyncio.sleep(0)
        calls.append(payload)
        return "done"

    first, second = Inbox(world.clock), Inbox(world.clock)
    counts = await asyncio.gather(first.drain({"stripe": slow}), second.drain({"stripe": slow}))
    assert sum(counts) == 40
    assert sorted(calls, key=int) == [str(n) for n in range(40)]


async def test_a_provider_this_process_does_not_handle_waits_for_one_that_does(world):
    inbox, calls = Inbox(world.clock), []
    await inbox.keep("telegram", "1", "paid", "{}")
    assert await inbox.drain({"stripe": recorder(calls)}) == 0
    world.clock.advance(seconds=30)
    assert await inbox.drain({"telegram": recorder(calls)}) == 1
    assert calls == ["paid {}"]


async def test_what_a_silent_process_claimed_is_taken_over_within_seconds(world):
    inbox, started = Inbox(world.clock, "web-1"), asyncio.Event()

    async def hangs(kind: str, payload: str, received_at: datetime) -> str:
        started.set()
        await asyncio.Event().wait()
        return "never"

    await Worker.create(id="web-1", role="web", seen_at=world.clock.now())
    await inbox.keep("stripe", "evt_1", "paid", "{}")
    dying = asyncio.create_task(inbox.drain({"stripe": hangs}))
    await started.wait()
    dying.cancel()  # killed: it says nothing more
    calls: list[str] = []
    other = Inbox(world.clock, "web-2")
    world.clock.advance(seconds=SILENT.total_seconds() - 1)
    assert await other.drain({"stripe": recorder(calls)}) == 0  # it may still be working
    world.clock.advance(seconds=2)
    assert await other.drain({"stripe": recorder(calls)}) == 1
    assert calls == ["paid {}"]


async def test_a_payment_kept_while_its_hold_was_valid_is_honoured_however_late_it_settles(
    world,
):
    drop = await open_drop(world.core, tier(stock=1), hold_minutes=10)
    [fan, waiting] = await fans(2)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    await world.core.holds.join_waitlist(drop.tiers[0].id, waiting)
    world.clock.advance(minutes=9)
    await world.core.inbox.keep("stripe", "evt_paid", "paid", str(hold.id))  # then a crash
    world.clock.advance(minutes=30)
    assert await world.core.holds.expire_due() == 0  # its payment is waiting to be handled

    async def settle(kind: str, payload: str, received_at: datetime) -> str:
        price = hold.price
        order = await world.core.payments.settle(PaymentReceived("pi_1", "x", int(payload), price))
        return order.status

    assert await world.core.inbox.drain({"stripe": settle}) == 1
    assert await handled() == ["paid"]
    assert (await Reservation.get(id=hold.id)).status == HoldStatus.PAID
    assert world.refunds.refunded == []
    assert await world.core.holds.expire_due() == 0  # nothing left to lapse, nothing offered


async def test_one_payments_events_are_handled_in_turn_and_a_refund_never_overtakes(world):
    inbox, calls, failed_once = Inbox(world.clock), [], set()
    await inbox.keep("stripe", "evt_paid", "paid", "pi_1", key="pi_1")
    await inbox.keep("stripe", "evt_refund", "refunded", "pi_1", key="pi_1")
    await inbox.keep("stripe", "evt_other", "paid", "pi_2", key="pi_2")

    async def handle(kind: str, payload: str, received_at: datetime) -> str:
        if (kind, payload) == ("paid", "pi_1") and not failed_once:
            failed_once.add(payload)
            raise ConnectionError("database blinked")
        calls.append(f"{kind} {payload}")
        return "done"

    assert await inbox.drain({"stripe": handle}) == 1
    assert calls == ["paid pi_2"]  # the refund waits for its own payment
    world.clock.advance(seconds=30)
    assert await inbox.drain({"stripe": handle}) == 2
    assert calls == ["paid pi_2", "paid pi_1", "refunded pi_1"]


async def test_events_of_different_payments_are_handled_side_by_side(world):
    inbox, second_started = Inbox(world.clock), asyncio.Event()
    await inbox.keep("stripe", "evt_1", "paid", "1", key="pi_1")
    await inbox.keep("stripe", "evt_2", "paid", "2", key="pi_2")

    async def handle(kind: str, payload: str, received_at: datetime) -> str:
        if payload == "2":
            second_started.set()
        else:  # handled one after the other, the first would wait here for ever
            await second_started.wait()
        return "done"

    assert await asyncio.wait_for(inbox.drain({"stripe": handle}), 5) == 2


async def test_an_event_kept_while_the_last_drain_before_a_stop_claims_is_still_handled(world):
    """A webhook accepted during the shutdown's last drain, after that drain's claim found
    nothing (PostgreSQL would not have seen it yet): it is handled before the process ends,
    not left for the next start."""
    inbox, calls = Inbox(world.clock), []
    claim = inbox._claim

    async def claim_then_an_arrival_and_a_stop():  # the moment the race needs, made certain
        claimed = await claim()
        if not claimed and not calls:
            await inbox.keep("stripe", "evt_late", "paid", "late")
            inbox.stop()
        return claimed

    inbox._claim = claim_then_an_arrival_and_a_stop  # type: ignore[method-assign]
    await asyncio.wait_for(inbox.serve({"stripe": recorder(calls)}, every=60), 5)
    assert calls == ["paid late"]


async def test_a_handler_is_told_when_its_event_arrived(world):
    inbox, arrivals = Inbox(world.clock), []
    arrived = world.clock.now()
    await inbox.keep("stripe", "evt_1", "paid", "{}")
    world.clock.advance(seconds=90)

    async def handle(kind: str, payload: str, received_at: datetime) -> str:
        arrivals.append(received_at)
        return "done"

    assert await inbox.drain({"stripe": handle}) == 1
    assert arrivals == [arrived]  # an aware datetime on both databases, not the driver's text
