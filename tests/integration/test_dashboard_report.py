"""The dashboard's pages share one report: made once for page views that ask together, and
kept for a minute, so clicking through the pages does not recompute everything each time."""

from __future__ import annotations

import asyncio

from adapters.web.dashboard import Dashboard
from core.analytics.attribution import Weights
from core.drops.order_rows import PaymentReceived
from tests.builders import fans, open_drop, tier


async def test_pages_share_one_report_for_a_minute_then_show_new_orders(world):
    dashboard = Dashboard(world.core, Weights(), secure_cookie=False)
    drop = await open_drop(world.core, tier(stock=3))
    [fan] = await fans(1)
    first, second = await asyncio.gather(dashboard.report(), dashboard.report())
    assert first is second  # made once for both
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    await world.core.payments.settle(PaymentReceived("pi_1", "stripe", hold.id, hold.price))
    world.clock.advance(seconds=59)
    assert [d.sold for d in (await dashboard.report()).drops] == [0]
    world.clock.advance(seconds=1)
    assert [d.sold for d in (await dashboard.report()).drops] == [1]
