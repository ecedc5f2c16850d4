"""Prometheus figures for `/metrics`, counted from domain events and webhook replies.

Each process counts its own; scrape every web process (no multiprocess mode yet).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from core.bus import EventBus
from core.events import HoldExpired, HoldPlaced, OrderPaid, OrderReversed, PaymentRefunded
from core.inbox import Backlog


class Metrics:
    def __init__(self, backlog: Callable[[], Awaitable[Backlog]]) -> None:
        self.backlog = backlog
        self.registry = CollectorRegistry()
        self.holds = Counter("dropcast_holds_placed", "Holds placed", registry=self.registry)
        self.expiries = Counter("dropcast_holds_expired", "Holds lapsed", registry=self.registry)
        self.orders = Counter(
            "dropcast_orders_paid", "Paid orders", ["currency"], registry=self.registry
        )
        self.revenue = Counter(
            "dropcast_revenue_minor", "Paid, in minor units", ["currency"], registry=self.registry
        )
        self.refunds = Counter(
            "dropcast_payments_refunded", "Payments given back", ["why"], registry=self.registry
        )
        self.webhooks = Counter(
            "dropcast_webhook_events", "Webhook deliveries", ["provider", "result"],
            registry=self.registry,
        )  # fmt: skip
        self.waiting = Gauge(
            "dropcast_provider_events_waiting", "Webhook events kept, not yet handled",
            registry=self.registry,
        )  # fmt: skip
        self.failing = Gauge(
            "dropcast_provider_events_failing", "Of them, events whose handling failed",
            registry=self.registry,
        )  # fmt: skip
        self.webhook_seconds = Histogram(
            "dropcast_webhook_seconds", "Webhook handling time", ["provider"],
            registry=self.registry,
        )  # fmt: skip

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(HoldPlaced, self._hold_placed)
        bus.subscribe(HoldExpired, self._hold_expired)
        bus.subscribe(OrderPaid, self._order_paid)
        bus.subscribe(PaymentRefunded, self._payment_refunded)
        bus.subscribe(OrderReversed, self._order_reversed)

    def webhook(self, provider: str, status: int, outcome: str, seconds: float) -> None:
        self.webhooks.labels(provider, _result(status, outcome)).inc()
        self.webhook_seconds.labels(provider).observe(seconds)

    async def render(self) -> bytes:
        backlog = await self.backlog()
        self.waiting.set(backlog.waiting)
        self.failing.set(backlog.failing)
        return generate_latest(self.registry)

    async def _hold_placed(self, _: HoldPlaced) -> None:
        self.holds.inc()

    async def _hold_expired(self, _: HoldExpired) -> None:
        self.expiries.inc()

    async def _order_paid(self, event: OrderPaid) -> None:
        self.orders.labels(event.amount.currency).inc()
        self.revenue.labels(event.amount.currency).inc(event.amount.minor)

    async def _payment_refunded(self, _: PaymentRefunded) -> None:
        self.refunds.labels("could not fulfil").inc()

    async def _order_reversed(self, event: OrderReversed) -> None:
        self.refunds.labels(event.status).inc()


def _result(status: int, outcome: str) -> str:
    """A handful of label values, never ids: accepted, duplicate, ignored, queued, rejected."""
    return outcome if status == 200 else "rejected"
