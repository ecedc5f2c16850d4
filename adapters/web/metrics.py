"""Prometheus figures for `/metrics`.

The business gauges (holds, paid orders and revenue, provider events, notices) are read
from the database at each scrape (core/figures.py), so any web process serves the same
numbers. Only webhook deliveries are counted in the process that answered them; those
series carry a `process` label (its worker id), so scraping several processes never mixes
two processes' counts into one series.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from core.figures import Figures


class Metrics:
    def __init__(self, figures: Callable[[], Awaitable[Figures]], process: str) -> None:
        self.figures = figures
        self.process = process
        self.registry = CollectorRegistry()
        self.webhooks = Counter(
            "dropcast_webhook_events", "Webhook deliveries this process answered",
            ["process", "provider", "result"], registry=self.registry,
        )  # fmt: skip
        self.webhook_seconds = Histogram(
            "dropcast_webhook_seconds", "Webhook handling time in this process",
            ["process", "provider"], registry=self.registry,
        )  # fmt: skip

    def webhook(self, provider: str, status: int, outcome: str, seconds: float) -> None:
        self.webhooks.labels(self.process, provider, _result(status, outcome)).inc()
        self.webhook_seconds.labels(self.process, provider).observe(seconds)

    async def render(self) -> bytes:
        now = _Gauges(await self.figures())
        return generate_latest(now) + generate_latest(self.registry)


class _Gauges:
    """One scrape's figures; built afresh each time, so a currency no longer paid in
    disappears instead of showing its last value."""

    def __init__(self, now: Figures) -> None:
        self.now = now

    def collect(self) -> Iterator[Metric]:
        now = self.now
        yield GaugeMetricFamily("dropcast_holds_held", "Holds held now", value=now.holds_held)
        orders = GaugeMetricFamily("dropcast_orders_paid", "Paid orders", labels=["currency"])
        revenue = GaugeMetricFamily(
            "dropcast_revenue_paid_minor",
            "Paid orders' amounts, in minor units",
            labels=["currency"],
        )
        for currency, paid in sorted(now.paid.items()):
            orders.add_metric([currency], paid.orders)
            revenue.add_metric([currency], paid.minor)
        yield orders
        yield revenue
        yield GaugeMetricFamily(
            "dropcast_provider_events_waiting", "Webhook events kept, not yet handled",
            value=now.events_waiting,
        )  # fmt: skip
        yield GaugeMetricFamily(
            "dropcast_provider_events_failing", "Of them, events whose handling failed",
            value=now.events_failing,
        )  # fmt: skip
        notices = GaugeMetricFamily("dropcast_notices", "Notices by status", labels=["status"])
        for status, count in now.notices.items():
            notices.add_metric([status], count)
        yield notices


def _result(status: int, outcome: str) -> str:
    """A handful of label values, never ids: accepted, duplicate, ignored, queued, rejected."""
    return outcome if status == 200 else "rejected"
