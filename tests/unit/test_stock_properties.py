"""Property: whatever fans, payments, clock jumps and the creator do, in any order, stock
accounting holds after every step (invariants 1 and 2, on SQLite)."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.memory import ManualClock
from bots.bootstrap import bootstrap
from bots.database import database, migrate
from config import load_settings
from core.app import Core
from core.drops.payments import PaymentReceived
from core.errors import DropcastError
from core.models import DropTier, HoldStatus, Order, OrderStatus, Reservation
from core.money import Money
from tests.builders import fans, tier

FANS = 4
_template: list[bytes] = []

fan = st.integers(0, FANS - 1)
tier_index = st.integers(0, 1)
operation = st.one_of(
    st.tuples(st.just("reserve"), fan, tier_index),
    st.tuples(st.just("waitlist"), fan, tier_index),
    st.tuples(st.just("pay"), st.integers(0, 30), st.sampled_from(["right", "wrong", "again"])),
    st.tuples(st.just("advance"), st.integers(0, 15)),
    st.tuples(st.just("close")),
    st.tuples(st.just("cancel")),
)


async def apply(
    core: Core,
    clock: ManualClock,
    op: tuple,
    fan_ids: list[int],
    tier_ids: list[int],
    drop_id: int,
    payments: list[str],
) -> None:
    match op:
        case ("reserve", n, t):
            await core.holds.reserve(tier_ids[t], fan_ids[n])
        case ("waitlist", n, t):
            await core.holds.join_waitlist(tier_ids[t], fan_ids[n])
        case ("pay", pick, how):
            holds = await Reservation.all().order_by("id").select_related("tier")
            if not holds:
                return
            hold = holds[pick % len(holds)]
            price = Money(hold.tier.price_minor, hold.tier.currency)
            if how == "again" and payments:
                payment_id = payments[pick % len(payments)]
            else:
                payment_id = f"pi_{len(payments)}"
                payments.append(payment_id)
            amount = price if how != "wrong" else Money(price.minor + 1, price.currency)
            await core.payments.settle(PaymentReceived(payment_id, "stripe", hold.id, amount))
        case ("advance", minutes):
            clock.advance(minutes=minutes)
            await core.tick()
        case ("close",):
            await core.drops.close(drop_id)
        case ("cancel",):
            await core.drops.cancel(drop_id)


async def check_accounting() -> None:
    for line in await DropTier.all():
        held = await Reservation.filter(tier_id=line.id, status=HoldStatus.HELD).count()
        paid = await Reservation.filter(tier_id=line.id, status=HoldStatus.PAID).count()
        assert 0 <= line.available <= line.stock
        assert line.available + held + paid == line.stock
        slotted = await Reservation.filter(
            tier_id=line.id, status__in=(HoldStatus.HELD, HoldStatus.PAID), slot__isnull=False
        ).values_list("fan_id", "slot")
        for fan_id in {fan_id for fan_id, _ in slotted}:
            slots = [slot for owner, slot in slotted if owner == fan_id]
            assert len(slots) <= line.per_fan_limit
            assert all(1 <= slot <= line.per_fan_limit for slot in slots)
    paid_orders = await Order.filter(status=OrderStatus.PAID).count()
    assert paid_orders == await Reservation.filter(status=HoldStatus.PAID).count()
    assert not await Order.filter(status=OrderStatus.REFUNDED, hold_id__isnull=False).exists()


async def scenario(ops: list[tuple]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "property.sqlite3"
        if not _template:
            await migrate(f"sqlite://{path}")
            _template.append(path.read_bytes())
        path.write_bytes(_template[0])
        url = f"sqlite://{path}"
        async with database(url):
            clock = ManualClock()
            core = bootstrap(load_settings(database_url=url), clock=clock).core
            drop = await core.drops.create(
                "Property", [tier("Print", stock=3, limit=2), tier("Vinyl", stock=2)]
            )
            await core.drops.open(drop.id)
            fan_ids, tier_ids = await fans(FANS), [t.id for t in drop.tiers]
            payments: list[str] = []
            for op in ops:
                # a refusal must leave the books as they were: checked right after
                with contextlib.suppress(DropcastError):
                    await apply(core, clock, op, fan_ids, tier_ids, drop.id, payments)
                await check_accounting()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, max_size=25))
def test_stock_accounting_survives_any_sequence_of_operations(ops):
    asyncio.run(scenario(ops))
