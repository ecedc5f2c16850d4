"""Property: whatever fans, payment webhooks, the clock and the creator do to a drop, in any
order, after every single step the books add up (invariants 1 and 2), every payment is one
order, fans are told once, and a refused request changes nothing (invariant 5).

Each example runs in one `asyncio.run` on its own copy of a migrated SQLite file: tortoise
keeps its connection in a contextvar, so nothing is shared between examples."""

from __future__ import annotations

import asyncio
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adapters.memory import ManualClock, MemoryMessenger
from bots.bootstrap import bootstrap
from bots.database import database, migrate
from config import load_settings
from core.app import Core
from core.drops.order_rows import PaymentReceived
from core.errors import DropcastError
from core.kinds import DropStatus, HoldStatus, OrderStatus
from core.messages import OrderConfirmed, PaymentReturned
from core.models import Drop, DropTier, Order, Reservation, WaitlistEntry
from core.money import Money
from tests.builders import fans, tier
from tests.refund_calls import CountedRefunds

FANS = 4
ACTIVE = (HoldStatus.HELD, HoldStatus.PAID)
REFUNDABLE = (OrderStatus.PAID, OrderStatus.FLAGGED)
_template: list[bytes] = []

fan = st.integers(0, FANS - 1)
tier_index = st.integers(0, 1)
# what each kind of operation carries besides its name
ARGUMENTS = {
    "reserve": st.tuples(fan, tier_index),
    "waitlist": st.tuples(fan, tier_index),
    "pay": st.tuples(st.integers(0, 40), st.sampled_from(["right", "right", "wrong", "replay"])),
    "advance": st.tuples(st.integers(0, 15)),
    "expire": st.tuples(),
    "open": st.tuples(),
    "schedule": st.tuples(st.integers(-5, 30), st.none() | st.integers(1, 30)),
    "close": st.tuples(),
    "cancel": st.tuples(),
    "refund": st.tuples(st.integers(0, 40), st.booleans()),
    "refunds_down": st.tuples(st.booleans()),
}
# fans and payment webhooks act often, the creator now and then, and rarely ends the drop
WEIGHTS = {"reserve": 16, "waitlist": 6, "pay": 16, "advance": 8, "close": 1, "cancel": 1}
KINDS = [kind for kind in ARGUMENTS for _ in range(WEIGHTS.get(kind, 2))]


@st.composite
def operation(draw: st.DrawFn) -> tuple[Any, ...]:
    kind = draw(st.sampled_from(KINDS))
    return (kind, *draw(ARGUMENTS[kind]))


# most histories start on an open drop; some start from a draft or a scheduled one
start = st.sampled_from(["open", "open", "open", "draft", "scheduled"])


@dataclass
class Run:
    core: Core
    clock: ManualClock
    messenger: MemoryMessenger
    refunds: CountedRefunds
    drop_id: int
    fan_ids: list[int]
    tier_ids: list[int]
    # every payment webhook sent so far, so one can be delivered again exactly as it was
    payments: list[PaymentReceived] = field(default_factory=list)
    # refunds may wait only while the provider is down, or until the next tick after that
    refunds_may_wait: bool = False
    # units the creator refunded without putting back on sale, per tier
    kept_back: Counter[int] = field(default_factory=Counter)


async def apply(run: Run, op: tuple[Any, ...]) -> None:
    core = run.core
    match op:
        case ("reserve", n, t):
            await core.holds.reserve(run.tier_ids[t], run.fan_ids[n])
        case ("waitlist", n, t):
            await core.holds.join_waitlist(run.tier_ids[t], run.fan_ids[n])
        case ("pay", pick, "replay") if run.payments:
            await core.payments.settle(run.payments[pick % len(run.payments)])
        case ("pay", pick, how):
            holds = await Reservation.all().order_by("id").select_related("tier")
            if not holds:
                return
            hold = holds[pick % len(holds)]
            price = Money(hold.tier.price_minor, hold.tier.currency)
            amount = price if how != "wrong" else Money(price.minor + 1, price.currency)
            payment = PaymentReceived(f"pi_{len(run.payments)}", "stripe", hold.id, amount)
            run.payments.append(payment)
            await core.payments.settle(payment)
        case ("advance", minutes):
            run.clock.advance(minutes=minutes)
            await core.tick()
            run.refunds_may_wait = run.refunds.failing
        case ("expire",):
            await core.holds.expire_due()
        case ("open",):
            await core.drops.open(run.drop_id)
        case ("schedule", ahead, length):
            opens = run.clock.now() + timedelta(minutes=ahead)
            closes = opens + timedelta(minutes=length) if length else None
            await core.drops.schedule(run.drop_id, opens, closes)
        case ("close",):
            await core.drops.close(run.drop_id)
        case ("cancel",):
            await core.drops.cancel(run.drop_id)
        case ("refund", pick, restock):
            refundable = await Order.filter(status__in=REFUNDABLE).order_by("id")
            if not refundable:
                return
            order = refundable[pick % len(refundable)]
            if order.hold_id is not None and not restock:
                run.kept_back[order.tier_id] += 1  # before the provider call, which may fail
            await core.orders.refund(order.id, "the creator refunded it", restock=restock)
        case ("refunds_down", down):
            run.refunds.failing = down
            run.refunds_may_wait |= down
        case _:  # pragma: no cover - the strategy makes only the operations above
            raise AssertionError(f"unknown operation {op!r}")


async def snapshot() -> tuple[object, ...]:
    """Everything a refused request must leave as it was."""
    return (
        await Drop.all().order_by("id").values_list("status", "opens_at", "closes_at"),
        await DropTier.all().order_by("id").values_list("id", "available"),
        await Reservation.all().order_by("id").values_list("id", "status", "slot"),
        await Order.all().order_by("id").values_list("payment_id", "status", "hold_id"),
        await WaitlistEntry.all().order_by("id").values_list("id", "status"),
    )


async def check_books(run: Run) -> None:
    drop = await Drop.get(id=run.drop_id)
    for line in await DropTier.filter(drop_id=run.drop_id):
        holds = await Reservation.filter(tier_id=line.id).values_list("fan_id", "status", "slot")
        held = sum(status == HoldStatus.HELD for _, status, _ in holds)
        paid = sum(status == HoldStatus.PAID for _, status, _ in holds)
        assert 0 <= line.available <= line.stock, f"{line.name}: available {line.available}"
        kept = run.kept_back[line.id]
        assert line.available + held + paid + kept == line.stock, (
            f"{line.name}: {line.available} free + {held} held + {paid} paid + {kept} kept back"
            f" != {line.stock}"
        )
        if drop.status == DropStatus.CANCELLED:
            assert held == 0
            assert line.available == line.stock - kept
        # the per-fan limit: every held or paid unit carries a distinct slot 1..limit
        active = [(owner, slot) for owner, status, slot in holds if status in ACTIVE]
        per_fan = Counter(owner for owner, _ in active)
        assert max(per_fan.values(), default=0) <= line.per_fan_limit, (
            f"{line.name}: a fan has {max(per_fan.values())} units, limit {line.per_fan_limit}"
        )
        assert len(set(active)) == len(active)
        assert all(slot is not None and 1 <= slot <= line.per_fan_limit for _, slot in active)

    orders = await Order.all().values_list("payment_id", "status", "hold_id", "fan_id")
    paid_holds = set(await Reservation.filter(status=HoldStatus.PAID).values_list("id", flat=True))
    paid_orders = [hold for _, status, hold, _ in orders if status == OrderStatus.PAID]
    # every paid hold is exactly one paid order, and every paid order is a paid hold
    assert len(paid_orders) == len(paid_holds)
    assert set(paid_orders) == paid_holds
    # every distinct payment delivered is exactly one order, whatever was replayed
    payment_ids = [payment_id for payment_id, *_ in orders]
    assert len(payment_ids) == len(set(payment_ids))
    assert set(payment_ids) == {payment.payment_id for payment in run.payments}
    # a refunded order gave its unit up: a creator's refund ended its hold, any other had none
    refunded_holds = set(
        await Reservation.filter(status=HoldStatus.REFUNDED).values_list("id", flat=True)
    )
    for _, status, hold_id, _ in orders:
        if status in (OrderStatus.REFUND_PENDING, OrderStatus.REFUNDED):
            assert hold_id is None or hold_id in refunded_holds
    # money was asked back once per refunded order, and only for those
    refunded = sorted(pid for pid, status, *_ in orders if status == OrderStatus.REFUNDED)
    assert sorted(pid for pid, _, _ in run.refunds.asked) == refunded
    if not run.refunds_may_wait:
        # with the provider up, settling refunds at once; a tick retries what had to wait
        assert all(status != OrderStatus.REFUND_PENDING for _, status, *_ in orders)
    # what fans were told: one receipt per paid order, one notice per returned payment
    for fan_id in run.fan_ids:
        told = Counter(type(message) for message in run.messenger.to(fan_id))
        mine = Counter(status for _, status, _, owner in orders if owner == fan_id)
        # an order with a unit was confirmed once, even if the creator refunded it later
        had_unit = sum(1 for _, _, hold, owner in orders if owner == fan_id and hold is not None)
        assert told[OrderConfirmed] == had_unit
        assert told[PaymentReturned] == mine[OrderStatus.REFUNDED]


async def fresh_database(scratch: str) -> str:
    path = Path(scratch) / "state-machine.sqlite3"
    if not _template:
        await migrate(f"sqlite://{path}")
        _template.append(path.read_bytes())
    path.write_bytes(_template[0])
    return f"sqlite://{path}"


async def scenario(begin: str, ops: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        url = await fresh_database(scratch)
        async with database(url):
            clock, messenger, refunds = ManualClock(), MemoryMessenger(), CountedRefunds()
            app = bootstrap(
                load_settings(database_url=url),
                clock=clock,
                messenger=messenger,
                refunds=refunds,
            )
            drop = await app.core.drops.create(
                "State machine",
                [
                    tier("Print", stock=3, limit=2),
                    tier("Stars pack", stock=2, price="150 XTR", kind="digital"),
                ],
            )
            if begin == "open":
                await app.core.drops.open(drop.id)
            elif begin == "scheduled":
                await app.core.drops.schedule(drop.id, clock.now() + timedelta(minutes=5))
            run = Run(
                app.core,
                clock,
                messenger,
                refunds,
                drop.id,
                await fans(FANS),
                [line.id for line in drop.tiers],
            )
            for op in ops:
                before = await snapshot()
                try:
                    await apply(run, op)
                except DropcastError:
                    assert await snapshot() == before, f"refused {op!r} changed state"
                except ConnectionError:
                    # only the refund provider being down may surface, and only while it is
                    assert refunds.failing, f"{op!r} failed with the refund provider up"
                await check_books(run)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(begin=start, ops=st.lists(operation(), min_size=12, max_size=40))
@example(begin="open", ops=[("reserve", 0, 1), ("pay", 0, "right"), ("pay", 0, "right")])
def test_the_books_add_up_after_every_step_of_any_drop_history(begin, ops):
    asyncio.run(scenario(begin, ops))
