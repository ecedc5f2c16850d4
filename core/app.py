"""The core's services wired to one set of ports; `bots.bootstrap` builds it from settings."""

from __future__ import annotations

from dataclasses import dataclass

from core.bus import EventBus
from core.drops.holds import Holds
from core.drops.lifecycle import DropLifecycle
from core.drops.payments import Payments
from core.notifications import Notifier
from core.ports import Announcer, Clock, FanMessenger, PayLinks, Refunds


@dataclass(frozen=True, slots=True)
class Core:
    clock: Clock
    bus: EventBus
    drops: DropLifecycle
    holds: Holds
    payments: Payments

    async def tick(self) -> None:
        """Everything timed, derived from the database: opening, closing, lapsing holds."""
        await self.drops.open_due()
        await self.drops.close_due()
        await self.holds.expire_due()
        await self.payments.retry_refunds()


def build_core(
    *,
    clock: Clock,
    announcer: Announcer,
    messenger: FanMessenger,
    pay_links: PayLinks,
    refunds: Refunds,
) -> Core:
    bus = EventBus()
    holds = Holds(clock, bus, pay_links)
    Notifier(announcer, messenger, pay_links, holds).subscribe(bus)
    return Core(
        clock=clock,
        bus=bus,
        drops=DropLifecycle(clock, bus),
        holds=holds,
        payments=Payments(clock, bus, refunds),
    )
