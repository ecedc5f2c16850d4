"""The offline sandbox: a whole drop rehearsed on SQLite with simulated fans.

It runs the real core through the same bootstrap as production, with memory adapters and a
manual clock stepped one virtual second at a time (paced so a 20-minute drop plays in a few
seconds). Simulated fans act like real ones: they rush at the opening, most pay within the
hold, some never do, some pay too late, and fans who find it sold out join the waitlist and
answer the DM that offers them a freed unit. Then a month of a membership plays
(bots/sandbox_members.py), and its figures close the summary.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from adapters.memory import (
    ManualClock,
    MemoryAnnouncer,
    MemoryDesk,
    MemoryMessenger,
    MemoryPayLinks,
    MemoryRefunds,
)
from bots.bootstrap import bootstrap
from bots.database import database, migrate
from bots.sandbox_members import SandboxBilling, membership_month
from config import Settings
from core import events
from core.analytics.membership_figures import MemberFigures
from core.app import Core
from core.clock import SystemClock
from core.drops.order_rows import PaymentReceived
from core.drops.specs import TierSpec
from core.errors import DropcastError, SoldOut
from core.events import DomainEvent
from core.fans import fan_for
from core.kinds import HoldStatus, OrderStatus, PaymentProvider, Platform
from core.messages import FanMessage, PayLinkOffer
from core.models import Community, Drop, Order, Reservation
from core.money import Money, parse_price

COUNTDOWN_SECONDS = 60
LAST_SECOND = 45 * 60


@dataclass(frozen=True, slots=True)
class SandboxOptions:
    fans: int = 200
    units: int = 50
    seed: int = 7
    seconds: float = 5.0  # wall-clock length of the rehearsal; 0 runs as fast as possible


@dataclass
class SandboxSummary:
    stock: int = 0
    sold: int = 0
    oversold: int = 0
    revenue: dict[str, int] = field(default_factory=dict)
    hold_expiries: int = 0
    waitlist_offers: int = 0
    waitlist_conversions: int = 0
    late_payments_refunded: int = 0
    refusals: int = 0
    median_open_to_paid_s: float | None = None
    members: MemberFigures | None = None  # after the month of a membership

    def revenue_text(self) -> str:
        return ", ".join(str(Money(minor, cur)) for cur, minor in self.revenue.items()) or "0"


Action = Callable[[], Awaitable[None]]


class Timeline:
    """Fans' future actions, by virtual second since the drop was created."""

    def __init__(self) -> None:
        self.due: dict[int, list[Action]] = defaultdict(list)

    def at(self, second: int, action: Action) -> None:
        self.due[second].append(action)

    def pop(self, second: int) -> list[Action]:
        return self.due.pop(second, [])


class SandboxFans(MemoryMessenger):
    """The simulated fans' inboxes: a waitlist offer makes its fan decide whether to pay."""

    def __init__(self, on_message: Callable[[int, FanMessage], None]) -> None:
        super().__init__()
        self.on_message = on_message

    async def send(self, fan_id: int, message: FanMessage) -> bool:
        delivered = await super().send(fan_id, message)
        self.on_message(fan_id, message)
        return delivered


class Rehearsal:
    def __init__(
        self, options: SandboxOptions, on_event: Callable[[str, DomainEvent | str], None]
    ) -> None:
        self.options = options
        self.on_event = on_event
        self.rng = random.Random(options.seed)
        self.timeline = Timeline()
        self.second = 0
        self.summary = SandboxSummary(stock=options.units)
        self.clock = ManualClock(SystemClock().now().replace(microsecond=0))
        self.start = self.clock.now()
        self.refunds = MemoryRefunds()
        self.fans = SandboxFans(self._read_dm)
        self.fan_ids: list[int] = []

    async def run(self, settings: Settings) -> SandboxSummary:
        core = bootstrap(
            settings,
            clock=self.clock,
            announcer=MemoryAnnouncer(),
            messenger=self.fans,
            desk=MemoryDesk(),
            pay_links=MemoryPayLinks(),
            refunds=self.refunds,
            membership_billing=SandboxBilling(),
        ).core  # in process, every port: the sandbox never reaches a platform (invariant 9)
        for event_type in _rendered_events():
            core.bus.subscribe(event_type, self._show)
        self.core = core
        await Community.create(platform=Platform.SANDBOX, platform_ref="sandbox", name="Sandbox")
        drop_id, tiers = await self._prepare(core)
        await self._plan_fans(drop_id, tiers)
        pace = self.options.seconds / LAST_SECOND
        started = time.monotonic()
        for self.second in range(LAST_SECOND + 1):
            self.clock.set(self.start + timedelta(seconds=self.second))
            self._countdown()
            await core.tick()
            await asyncio.gather(*(action() for action in self.timeline.pop(self.second)))
            ahead = started + self.second * pace - time.monotonic()
            if ahead > 0:  # keep the virtual clock on the wall-clock schedule
                await asyncio.sleep(ahead)
            if self.second > COUNTDOWN_SECONDS and await self._finished(drop_id):
                break
        await self._summarise(drop_id)
        self.summary.members = await membership_month(core, self.clock, self.fan_ids, self.on_event)
        return self.summary

    async def _prepare(self, core: Core) -> tuple[int, list[tuple[int, Money]]]:
        vinyl = max(1, self.options.units // 5)
        specs = (
            [
                TierSpec(
                    "Digital edition",
                    "digital",
                    parse_price("9.00 EUR"),
                    self.options.units - vinyl,
                    1,
                    "https://files.example/sandbox-digital-edition.zip",
                )
            ]
            if self.options.units > vinyl
            else []
        )
        specs.append(TierSpec("Signed vinyl", "physical", parse_price("35.00 EUR"), vinyl, 1))
        drop = await core.drops.create("Sandbox drop", specs)
        opens_at = self.start + timedelta(seconds=COUNTDOWN_SECONDS)
        drop = await core.drops.schedule(drop.id, opens_at)
        return drop.id, [(tier.id, tier.price) for tier in drop.tiers]

    async def _plan_fans(self, drop_id: int, tiers: list[tuple[int, Money]]) -> None:
        for n in range(self.options.fans):
            fan_id = await fan_for(Platform.SANDBOX, f"sandbox-{n}", f"Fan {n + 1}")
            self.fan_ids.append(fan_id)
            tier_id, price = self.rng.choice(tiers)
            arrives = COUNTDOWN_SECONDS + int(self.rng.expovariate(1 / 25))
            self.timeline.at(arrives, self._buyer(fan_id, tier_id, price))

    def _buyer(self, fan_id: int, tier_id: int, price: Money) -> Action:
        async def tap_buy() -> None:
            try:
                hold = await self.core.holds.reserve(tier_id, fan_id)
            except SoldOut:
                self.summary.refusals += 1
                if self.rng.random() < 0.5:
                    await self.core.holds.join_waitlist(tier_id, fan_id)
                return
            except DropcastError:
                self.summary.refusals += 1
                return
            self._decide_to_pay(fan_id, hold.id, price, waited=False)

        return tap_buy

    def _decide_to_pay(self, fan_id: int, hold_id: int, price: Money, *, waited: bool) -> None:
        roll = self.rng.random()
        if roll < 0.70:  # pays within the hold
            delay = self.rng.randint(20, 8 * 60)
        elif roll < 0.78 and not waited:  # pays after the hold lapsed
            delay = self.rng.randint(10 * 60 + 5, 13 * 60)
        else:  # walks away; the hold lapses
            return

        async def pay() -> None:
            payment = PaymentReceived(
                f"sandbox-pay-{hold_id}", PaymentProvider.SANDBOX, hold_id, price
            )
            order = await self.core.payments.settle(payment)
            if order.status == OrderStatus.REFUNDED:
                self.summary.late_payments_refunded += 1

        self.timeline.at(self.second + delay, pay)

    def _read_dm(self, fan_id: int, message: FanMessage) -> None:
        if isinstance(message, PayLinkOffer) and message.from_waitlist:
            self.summary.waitlist_offers += 1
            self._decide_to_pay(fan_id, message.hold_id, message.price, waited=True)

    def _countdown(self) -> None:
        left = COUNTDOWN_SECONDS - self.second
        if left in (60, 30, 10, 3, 2, 1):
            self.on_event(self.clock_text(), f"countdown: opens in {left}s")

    async def _finished(self, drop_id: int) -> bool:
        pending = await Reservation.filter(tier__drop_id=drop_id, status=HoldStatus.HELD).exists()
        return not pending and not self.timeline.due and self.second > COUNTDOWN_SECONDS + 5

    async def _show(self, event: DomainEvent) -> None:
        if isinstance(event, events.HoldExpired):
            self.summary.hold_expiries += 1
        self.on_event(self.clock_text(), event)

    def clock_text(self) -> str:
        offset = self.second - COUNTDOWN_SECONDS
        sign = "-" if offset < 0 else "+"
        minutes, seconds = divmod(abs(offset), 60)
        return f"T{sign}{minutes:02d}:{seconds:02d}"

    async def _summarise(self, drop_id: int) -> None:
        drop = await Drop.get(id=drop_id)
        paid = await Order.filter(tier__drop_id=drop_id, status=OrderStatus.PAID).prefetch_related(
            "hold"
        )
        self.summary.sold = len(paid)
        self.summary.waitlist_conversions = sum(1 for o in paid if o.hold and o.hold.from_waitlist)
        taken = await Reservation.filter(
            tier__drop_id=drop_id, status__in=(HoldStatus.HELD, HoldStatus.PAID)
        ).count()
        self.summary.oversold = max(0, taken - self.options.units)
        for order in paid:
            self.summary.revenue[order.currency] = (
                self.summary.revenue.get(order.currency, 0) + order.amount_minor
            )
        if paid and drop.opened_at:
            self.summary.median_open_to_paid_s = statistics.median(
                (o.created_at - drop.opened_at).total_seconds() for o in paid
            )


def _rendered_events() -> list[type[DomainEvent]]:
    return [
        events.DropScheduled,
        events.DropOpened,
        events.DropSoldOut,
        events.DropReopened,
        events.DropClosed,
        events.HoldPlaced,
        events.HoldExpired,
        events.OrderPaid,
        events.PaymentRefunded,
    ]


async def rehearse(
    settings: Settings,
    options: SandboxOptions,
    on_event: Callable[[str, DomainEvent | str], None],
    *,
    directory: Path | None = None,
) -> SandboxSummary:
    """Rehearse one drop in a throwaway SQLite database (under `directory`, or a temp dir)."""
    with tempfile.TemporaryDirectory(dir=directory) as scratch:
        url = f"sqlite://{Path(scratch) / 'sandbox.sqlite3'}"
        await migrate(url)
        async with database(url):
            return await Rehearsal(options, on_event).run(settings)
