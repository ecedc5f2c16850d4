"""Invariant 2, from the fan's side: every payment becomes exactly one order whatever the
webhooks do; money that cannot buy a unit goes back by itself and the fan is told why."""

from __future__ import annotations

import asyncio

import pytest

from bots.bootstrap import bootstrap
from core.drops.order_rows import PaymentReceived
from core.drops.views import drop_view
from core.errors import InvalidState, NotFound, ProviderUnreachable
from core.kinds import DropStatus, HoldStatus, OrderStatus, Platform
from core.messages import HoldLapsed, OrderConfirmed, PaymentReturned, PaymentUnderReview
from core.models import Order, Reservation
from core.money import Money
from tests.builders import fans, open_drop, tier
from tests.unit.state import database_state

PRICE = Money(2500, "EUR")
ALBUM = "https://files.example/album.zip"


def payment(hold_id: int, payment_id: str = "pi_1", amount: Money = PRICE) -> PaymentReceived:
    return PaymentReceived(payment_id, "stripe", hold_id, amount)


async def orders() -> list[tuple[str, OrderStatus, int | None]]:
    return await Order.all().order_by("id").values_list("payment_id", "status", "hold_id")  # type: ignore[return-value]


async def totals(drop_id: int) -> tuple[str, int, int, int]:
    view = await drop_view(drop_id)
    line = view.tiers[0]
    return view.status, line.available, line.held, line.sold


def returned(world, fan: int) -> list[PaymentReturned]:
    return [m for m in world.messenger.to(fan) if isinstance(m, PaymentReturned)]


def confirmed(world, fan: int) -> list[OrderConfirmed]:
    return [m for m in world.messenger.to(fan) if isinstance(m, OrderConfirmed)]


async def test_paying_a_hold_makes_one_order_and_sends_the_fan_their_download(world):
    drop = await open_drop(world.core, tier("Album", stock=2, kind="digital", content=ALBUM))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    order = await world.core.payments.settle(payment(hold.id))
    assert (order.status, order.hold_id, order.fan_id, order.amount) == (
        "paid",
        hold.id,
        fan,
        PRICE,
    )
    assert world.messenger.to(fan) == [
        OrderConfirmed(order.id, "Winter drop", "Album", PRICE, ALBUM)
    ]
    assert await orders() == [("pi_1", OrderStatus.PAID, hold.id)]
    assert (await Reservation.get(id=hold.id)).status == HoldStatus.PAID
    assert (await Order.get(id=order.id)).delivered_at == world.clock.now()
    assert await totals(drop.id) == ("open", 1, 0, 1)
    assert world.refunds.refunded == []


async def test_a_paid_hold_does_not_lapse_later(world):
    drop = await open_drop(world.core, tier(stock=1))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    await world.core.payments.settle(payment(hold.id))
    world.clock.advance(minutes=30)
    await world.core.tick()
    assert (await Reservation.get(id=hold.id)).status == HoldStatus.PAID
    assert not [m for m in world.messenger.to(fan) if isinstance(m, HoldLapsed)]
    assert await totals(drop.id) == ("sold_out", 0, 0, 1)


async def test_the_same_payment_delivered_three_times_is_one_order_and_one_receipt(world):
    drop = await open_drop(world.core, tier(stock=3))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    views = [await world.core.payments.settle(payment(hold.id)) for _ in range(3)]
    assert len(set(views)) == 1
    assert await orders() == [("pi_1", OrderStatus.PAID, hold.id)]
    assert len(confirmed(world, fan)) == 1
    assert await totals(drop.id) == ("open", 2, 0, 1)
    assert world.refunds.refunded == []


async def test_the_same_payment_delivered_concurrently_is_one_order(world):
    drop = await open_drop(world.core, tier(stock=2))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    views = await asyncio.gather(*(world.core.payments.settle(payment(hold.id)) for _ in range(5)))
    assert len({view.id for view in views}) == 1
    assert await orders() == [("pi_1", OrderStatus.PAID, hold.id)]
    assert await totals(drop.id) == ("open", 1, 0, 1)
    assert len(confirmed(world, fan)) == 1


async def test_a_burst_of_payments_settled_together_gives_each_what_it_gets_alone(world):
    drop = await open_drop(world.core, tier(stock=10, limit=2))
    plain, twice, two_ids, wrong, late = await fans(5)
    holds = {
        fan: await world.core.holds.reserve(drop.tiers[0].id, fan)
        for fan in (plain, twice, two_ids, wrong, late)
    }
    world.clock.advance(minutes=10)  # the late fan's hold lapses; the others are made again
    await world.core.tick()
    holds |= {
        fan: await world.core.holds.reserve(drop.tiers[0].id, fan)
        for fan in (plain, twice, two_ids, wrong)
    }
    burst = [
        payment(holds[plain].id, "pi_plain"),
        payment(holds[twice].id, "pi_twice"),
        payment(holds[twice].id, "pi_twice"),
        payment(holds[two_ids].id, "pi_first"),
        payment(holds[two_ids].id, "pi_second"),
        payment(holds[wrong].id, "pi_wrong", Money(100, "EUR")),
        payment(holds[late].id, "pi_late"),
        payment(999_999, "pi_nobody"),
    ]
    settled = await asyncio.gather(
        *(world.core.payments.settle(each) for each in burst), return_exceptions=True
    )
    await world.core.notices.settled()

    assert isinstance(settled[-1], NotFound)  # only the payment naming no hold fails
    by_payment = {view.payment_id: view for view in settled[:-1]}
    assert settled[1] == settled[2]  # the same payment twice: one order
    assert {pid: view.status for pid, view in by_payment.items()} == {
        "pi_plain": "paid", "pi_twice": "paid", "pi_first": "paid", "pi_second": "paid",
        "pi_wrong": "flagged", "pi_late": "paid",
    }  # fmt: skip
    assert by_payment["pi_plain"].hold_id == holds[plain].id
    assert by_payment["pi_second"].hold_id not in (None, holds[two_ids].id)  # a unit of its own
    assert by_payment["pi_late"].hold_id != holds[late].id  # the lapsed hold stays lapsed
    assert await Order.filter(payment_id="pi_twice").count() == 1
    assert await totals(drop.id) == ("open", 4, 1, 5)  # the flagged fan's hold still stands
    for fan, receipts in ((plain, 1), (twice, 1), (two_ids, 2), (wrong, 0), (late, 1)):
        assert len(confirmed(world, fan)) == receipts


async def test_the_same_payment_redelivered_after_the_hold_would_have_lapsed_changes_nothing(
    world,
):
    drop = await open_drop(world.core, tier(stock=3))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    await world.core.payments.settle(payment(hold.id))
    world.clock.advance(hours=2)
    await world.core.tick()
    before = await database_state()
    await world.core.payments.settle(payment(hold.id))
    assert await database_state() == before
    assert len(world.messenger.to(fan)) == 1


async def test_a_second_payment_for_a_paid_hold_buys_another_unit_while_stock_remains(world):
    drop = await open_drop(world.core, tier(stock=3, limit=2))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    first = await world.core.payments.settle(payment(hold.id, "pi_a"))
    second = await world.core.payments.settle(payment(hold.id, "pi_b"))
    assert (first.status, second.status) == ("paid", "paid")
    assert first.hold_id == hold.id
    assert second.hold_id not in (None, hold.id)  # a fresh unit, paid at once
    assert (await Reservation.get(id=second.hold_id)).status == HoldStatus.PAID
    assert await totals(drop.id) == ("open", 1, 0, 2)
    assert [m.order_id for m in confirmed(world, fan)] == [first.id, second.id]
    assert world.refunds.refunded == []


async def test_a_second_payment_for_a_paid_hold_is_refunded_when_nothing_is_left(world):
    drop = await open_drop(world.core, tier(stock=2, limit=2))
    fan, other = await fans(2)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    first = await world.core.payments.settle(payment(hold.id, "pi_a"))
    last = await world.core.holds.reserve(drop.tiers[0].id, other)
    await world.core.payments.settle(payment(last.id, "pi_other"))
    second = await world.core.payments.settle(payment(hold.id, "pi_b"))
    assert (first.status, second.status, second.hold_id) == ("paid", "refunded", None)
    assert await orders() == [
        ("pi_a", OrderStatus.PAID, hold.id),
        ("pi_other", OrderStatus.PAID, last.id),
        ("pi_b", OrderStatus.REFUNDED, None),
    ]
    assert world.refunds.refunded == [("pi_b", PRICE, "the item sold out first")]
    assert returned(world, fan) == [
        PaymentReturned("Winter drop", PRICE, "the item sold out first")
    ]
    assert len(confirmed(world, fan)) == 1
    assert await totals(drop.id) == ("sold_out", 0, 0, 2)


async def test_a_second_payment_beyond_the_fans_limit_is_refunded_even_with_stock_left(world):
    drop = await open_drop(world.core, tier(stock=5, limit=1))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    await world.core.payments.settle(payment(hold.id, "pi_a"))
    second = await world.core.payments.settle(payment(hold.id, "pi_b"))
    assert second.status == "refunded"
    assert await Reservation.filter(fan_id=fan, status=HoldStatus.PAID).count() == 1
    assert [refund[0] for refund in world.refunds.refunded] == ["pi_b"]


async def test_a_late_payment_does_not_let_a_fan_past_their_limit(world):
    drop = await open_drop(world.core, tier(stock=5, limit=1))
    [fan] = await fans(1)
    lapsed = await world.core.holds.reserve(drop.tiers[0].id, fan)
    world.clock.advance(minutes=10)
    await world.core.tick()
    again = await world.core.holds.reserve(drop.tiers[0].id, fan)
    await world.core.payments.settle(payment(again.id, "pi_new"))
    late = await world.core.payments.settle(payment(lapsed.id, "pi_late"))
    assert late.status == "refunded"
    assert await Reservation.filter(fan_id=fan, status=HoldStatus.PAID).count() == 1


async def test_a_payment_after_the_hold_lapsed_is_honoured_while_stock_remains(world):
    drop = await open_drop(world.core, tier(stock=2))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    world.clock.advance(minutes=10)
    await world.core.tick()
    assert world.messenger.to(fan) == [HoldLapsed(hold.id, "Winter drop", "Signed print")]
    order = await world.core.payments.settle(payment(hold.id))
    assert order.status == "paid"
    assert (await Reservation.get(id=hold.id)).status == HoldStatus.EXPIRED
    assert (await Reservation.get(id=order.hold_id)).status == HoldStatus.PAID
    assert await orders() == [("pi_1", OrderStatus.PAID, order.hold_id)]
    assert confirmed(world, fan) == [OrderConfirmed(order.id, "Winter drop", "Signed print", PRICE)]
    assert await totals(drop.id) == ("open", 1, 0, 1)
    assert world.refunds.refunded == []


async def test_a_late_payment_that_takes_the_last_unit_sells_the_drop_out(world):
    drop = await open_drop(world.core, tier(stock=1))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    world.clock.advance(minutes=10)
    await world.core.tick()
    assert (await drop_view(drop.id)).status == DropStatus.OPEN
    await world.core.payments.settle(payment(hold.id))
    assert await totals(drop.id) == ("sold_out", 0, 0, 1)


async def test_a_late_payment_that_finds_no_stock_is_refunded_and_the_fan_told_why(world):
    drop = await open_drop(world.core, tier(stock=1))
    late, quick = await fans(2)
    lapsed = await world.core.holds.reserve(drop.tiers[0].id, late)
    world.clock.advance(minutes=10)
    await world.core.tick()
    taken = await world.core.holds.reserve(drop.tiers[0].id, quick)
    await world.core.payments.settle(payment(taken.id, "pi_quick"))
    order = await world.core.payments.settle(payment(lapsed.id, "pi_late"))
    assert (order.status, order.hold_id, order.fan_id) == ("refunded", None, late)
    assert await orders() == [
        ("pi_quick", OrderStatus.PAID, taken.id),
        ("pi_late", OrderStatus.REFUNDED, None),
    ]
    assert world.refunds.refunded == [("pi_late", PRICE, "the item sold out first")]
    assert returned(world, late) == [
        PaymentReturned("Winter drop", PRICE, "the item sold out first")
    ]
    assert confirmed(world, late) == []
    assert await totals(drop.id) == ("sold_out", 0, 0, 1)


@pytest.mark.parametrize("ending", ["close", "cancel"])
async def test_a_payment_for_a_drop_that_ended_is_refunded_saying_it_ended(world, ending):
    drop = await open_drop(world.core, tier(stock=3))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    world.clock.advance(minutes=10)
    await world.core.tick()
    await getattr(world.core.drops, ending)(drop.id)
    order = await world.core.payments.settle(payment(hold.id))
    assert order.status == "refunded"
    [notice] = returned(world, fan)
    assert "sold out" not in notice.reason
    assert ("closed" if ending == "close" else "cancelled") in notice.reason


@pytest.mark.parametrize(
    "amount",
    [Money(2499, "EUR"), Money(2501, "EUR"), Money(2500, "USD"), Money(0, "EUR")],
    ids=["short", "over", "currency", "zero"],
)
async def test_a_payment_of_the_wrong_amount_is_flagged_not_fulfilled_and_the_hold_stands(
    world, amount
):
    drop = await open_drop(world.core, tier(stock=1))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    order = await world.core.payments.settle(payment(hold.id, "pi_wrong", amount))
    assert (order.status, order.hold_id, order.amount) == ("flagged", None, amount)
    assert await orders() == [("pi_wrong", OrderStatus.FLAGGED, None)]
    assert world.refunds.refunded == []  # the creator decides what happens to the money
    assert world.messenger.to(fan) == [PaymentUnderReview("Winter drop", amount, PRICE)]
    assert (await Reservation.get(id=hold.id)).status == HoldStatus.HELD
    assert await totals(drop.id) == ("sold_out", 0, 1, 0)
    # the fan can still pay the right amount for the hold they kept
    right = await world.core.payments.settle(payment(hold.id, "pi_right"))
    assert (right.status, right.hold_id) == ("paid", hold.id)
    assert await totals(drop.id) == ("sold_out", 0, 0, 1)
    # and the creator gives the flagged payment back, once
    await world.core.orders.refund(order.id, "paid the wrong amount")
    with pytest.raises(InvalidState, match="only paid orders refund"):
        await world.core.orders.refund(order.id, "again")
    assert world.refunds.asked == [("pi_wrong", amount, "paid the wrong amount")]
    assert returned(world, fan) == [PaymentReturned("Winter drop", amount, "paid the wrong amount")]
    assert await totals(drop.id) == ("sold_out", 0, 0, 1)


async def refund_waiting(world) -> tuple[int, PaymentReceived]:
    """A late payment that found no unit, while the refund provider is down."""
    drop = await open_drop(world.core, tier(stock=1))
    fan, quick = await fans(2)
    lapsed = await world.core.holds.reserve(drop.tiers[0].id, fan)
    world.clock.advance(minutes=10)
    await world.core.tick()
    taken = await world.core.holds.reserve(drop.tiers[0].id, quick)
    await world.core.payments.settle(payment(taken.id, "pi_quick"))
    late = payment(lapsed.id, "pi_1")
    world.refunds.failing = True
    with pytest.raises(ConnectionError):
        await world.core.payments.settle(late)
    return fan, late


async def test_a_refund_the_provider_could_not_make_is_finished_once_it_is_back(world):
    fan, late = await refund_waiting(world)
    assert await orders() == [
        ("pi_quick", OrderStatus.PAID, 2),
        ("pi_1", OrderStatus.REFUND_PENDING, None),
    ]
    # still down: the clock's retry finishes nothing, and the rest of its work goes on
    assert await world.core.payments.retry_refunds() == 0
    await world.core.tick()
    assert (await orders())[1] == ("pi_1", OrderStatus.REFUND_PENDING, None)
    assert returned(world, fan) == []
    world.refunds.failing = False
    assert await world.core.payments.retry_refunds() == 1
    assert await world.core.payments.retry_refunds() == 0
    await world.core.tick()
    await world.core.payments.settle(late)  # the webhook redelivered afterwards
    assert (await orders())[1] == ("pi_1", OrderStatus.REFUNDED, None)
    assert world.refunds.asked == [("pi_1", PRICE, "the item sold out first")]  # once it was up
    assert returned(world, fan) == [
        PaymentReturned("Winter drop", PRICE, "the item sold out first")
    ]


async def test_a_redelivered_webhook_finishes_a_refund_that_was_waiting(world):
    fan, late = await refund_waiting(world)
    world.refunds.failing = False
    order = await world.core.payments.settle(late)
    assert order.status == "refunded"
    assert await world.core.payments.retry_refunds() == 0
    assert world.refunds.asked == [("pi_1", PRICE, "the item sold out first")]
    assert len(returned(world, fan)) == 1


async def test_racing_retries_of_a_waiting_refund_ask_for_that_refund_alone_and_tell_once(
    world, monkeypatch
):
    """Each racer may ask the provider, and each asks for the one payment in the same words:
    keyed by the payment, the provider refunds it once (test_stripe_checkout.py races them
    against Stripe's idempotency)."""
    provider_refund = world.refunds.refund

    async def slow_refund(payment_id: str, amount: Money, reason: str) -> None:
        await asyncio.sleep(0.05)  # a real provider answers in tens of milliseconds
        await provider_refund(payment_id, amount, reason)

    monkeypatch.setattr(world.refunds, "refund", slow_refund)
    fan, late = await refund_waiting(world)
    world.refunds.failing = False
    await asyncio.gather(
        world.core.payments.retry_refunds(),
        world.core.payments.retry_refunds(),
        world.core.payments.settle(late),
    )
    assert (await orders())[1] == ("pi_1", OrderStatus.REFUNDED, None)
    assert len(returned(world, fan)) == 1
    assert world.refunds.asked  # how often depends on the race
    assert set(world.refunds.asked) == {("pi_1", PRICE, "the item sold out first")}


async def test_a_payment_for_a_hold_we_never_made_is_refused_and_records_nothing(world):
    drop = await open_drop(world.core, tier(stock=1))
    [fan] = await fans(1)
    await world.core.holds.reserve(drop.tiers[0].id, fan)
    before = await database_state()
    with pytest.raises(NotFound, match=r"payment pi_x names no hold we know \(#404\)"):
        await world.core.payments.settle(payment(404, "pi_x"))
    assert await database_state() == before
    assert world.refunds.refunded == []
    assert world.messenger.sent == []


async def test_a_creator_refund_with_restock_puts_the_unit_back_on_sale_once(world):
    drop = await open_drop(world.core, tier(stock=1))
    buyer, next_fan = await fans(2)
    hold = await world.core.holds.reserve(drop.tiers[0].id, buyer)
    order = await world.core.payments.settle(payment(hold.id))
    await world.core.orders.refund(order.id, "changed my mind", restock=True)
    assert await totals(drop.id) == ("open", 1, 0, 0)
    again = await world.core.holds.reserve(drop.tiers[0].id, next_fan)
    await world.core.payments.settle(payment(again.id, "pi_2"))
    assert await totals(drop.id) == ("sold_out", 0, 0, 1)


async def test_a_refund_goes_back_through_the_provider_that_took_the_money(world):
    drop = await open_drop(world.core, tier(stock=1))
    fan, quick = await fans(2)
    lapsed = await world.core.holds.reserve(drop.tiers[0].id, fan)
    world.clock.advance(minutes=10)
    await world.core.tick()
    taken = await world.core.holds.reserve(drop.tiers[0].id, quick)
    await world.core.payments.settle(payment(taken.id, "pi_quick"))
    stars = PaymentReceived("stars_1", "telegram_stars", lapsed.id, PRICE)
    with pytest.raises(ProviderUnreachable, match="no telegram_stars refunds are set up"):
        await world.core.payments.settle(stars)
    assert (await orders())[1] == ("stars_1", OrderStatus.REFUND_PENDING, None)
    assert world.refunds.refunded == []  # Stripe never refunds a payment it did not take
    assert returned(world, fan) == []


async def test_a_dispute_the_creator_won_gives_back_the_order_its_points_and_perk_once(world):
    await world.core.perks.register("backstage", "Backstage", Platform.TELEGRAM, "-1001", "-1001")
    drop = await open_drop(world.core, tier(kind="digital", perk="backstage"))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    await world.core.payments.settle(payment(hold.id))
    points = await world.core.recognition.points(fan)
    assert points > 0
    await world.core.payments.reverse("pi_1", OrderStatus.DISPUTED)
    assert (await world.core.recognition.points(fan), world.perks.granted) == (0, set())
    for _ in range(2):  # the closed dispute delivered twice
        restored = await world.core.payments.restore("pi_1")
        assert restored is not None
        assert restored.status == "paid"
    assert await orders() == [("pi_1", OrderStatus.PAID, hold.id)]
    assert await world.core.recognition.points(fan) == points
    assert [call for call, _, _ in world.perks.calls] == ["grant", "revoke", "grant"]
    # disputed and won a second time: taken back and given back once more, exactly
    await world.core.payments.reverse("pi_1", OrderStatus.DISPUTED)
    assert await world.core.recognition.points(fan) == 0
    await world.core.payments.restore("pi_1")
    assert await world.core.recognition.points(fan) == points


async def test_a_won_dispute_of_a_flagged_payment_leaves_it_flagged(world):
    drop = await open_drop(world.core, tier())
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    await world.core.payments.settle(payment(hold.id, amount=Money(100, "EUR")))
    await world.core.payments.reverse("pi_1", OrderStatus.DISPUTED)
    restored = await world.core.payments.restore("pi_1")
    assert restored is not None
    assert restored.status == "flagged"


async def test_a_won_dispute_changes_nothing_for_an_order_never_disputed_or_unknown(world):
    drop = await open_drop(world.core, tier())
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    await world.core.payments.settle(payment(hold.id))
    await world.core.orders.refund((await Order.get()).id, "changed my mind")
    before = await database_state()
    assert (await world.core.payments.restore("pi_1")).status == "refunded"  # type: ignore[union-attr]
    assert await world.core.payments.restore("pi_other") is None
    assert await database_state() == before


async def test_without_a_stripe_key_a_pay_link_is_refused_and_the_unit_stays_on_sale(world, capsys):
    """Invariant 9: production wiring (no `pay_links` passed) has no stand-in to hand out."""
    app = bootstrap(world.app.settings, clock=world.clock, messenger=world.messenger)
    drop = await open_drop(app.core, tier(stock=1))
    [fan] = await fans(1)
    before = await database_state()
    hold = await app.core.holds.reserve(drop.tiers[0].id, fan)
    with pytest.raises(InvalidState, match="payments are not open yet; nothing was held"):
        await app.core.holds.pay_link(hold.id, fan)
    after = await database_state()
    assert await Reservation.get(id=hold.id).values_list("status", flat=True) == "cancelled"
    assert {k: v for k, v in after.items() if k != "Reservation"} == {
        k: v for k, v in before.items() if k != "Reservation"
    }
    assert await totals(drop.id) == ("open", 1, 0, 0)
    assert "the creator needs to set STRIPE_SECRET_KEY" in capsys.readouterr().out
