"""`/metrics` as Prometheus and its operator meet it: off until METRICS_TOKEN is set, then
only for that bearer token, and the same business figures from whichever web process
answers."""

from __future__ import annotations

import re

from config import load_settings
from core.drops.order_rows import PaymentReceived
from core.money import Money
from tests.builders import fans, open_drop, tier
from tests.scenario.web_client import Get, Post, exchange
from tests.secrets import METRICS_TOKENS

TOKEN = METRICS_TOKENS[0]
SCRAPE = Get("/metrics", {"Authorization": f"Bearer {TOKEN}"})
BUSINESS = re.compile(r"(# (HELP|TYPE) )?dropcast_(holds|orders|revenue|provider_events|notices)")


async def test_metrics_are_off_until_a_token_is_set(database_url):
    config = load_settings(database_url=database_url)
    replies = await exchange(config, ["/metrics", SCRAPE])
    assert [status for status, _ in replies] == [403, 403]
    assert all("METRICS_TOKEN" in page["text"] for _, page in replies)
    assert "dropcast_" not in replies[1][1]["text"]


async def test_a_missing_or_wrong_token_is_refused_asking_for_a_bearer(database_url):
    config = load_settings(database_url=database_url, metrics_token=TOKEN)
    wrong = "Bearer not-the-metrics-token"
    replies = await exchange(
        config,
        [
            "/metrics",
            Get("/metrics", {"Authorization": wrong}),
            Get("/metrics", {"Authorization": f"Basic {TOKEN}"}),
            Get("/metrics", {"Authorization": f"Bearer {TOKEN}x"}),
            Get("/metrics", {"Authorization": "Bearer ünïcödé"}),
        ],
    )
    assert [(status, page["authenticate"]) for status, page in replies] == [(401, "Bearer")] * 5
    assert not any("dropcast_" in page["text"] or "not-the" in page["text"] for _, page in replies)


async def test_two_web_processes_show_the_same_figures_and_each_its_own_webhooks(world):
    drop = await open_drop(world.core, tier(stock=3))
    waiting, buyer = await fans(2)
    await world.core.holds.reserve(drop.tiers[0].id, waiting)
    paid = await world.core.holds.reserve(drop.tiers[0].id, buyer)
    await world.core.payments.settle(PaymentReceived("pi_1", "stripe", paid.id, Money(2500, "EUR")))
    config = load_settings(database_url=world.app.settings.database_url, metrics_token=TOKEN)
    unsigned = Post("/webhooks/stripe", b"{}", {})  # no STRIPE_WEBHOOK_SECRET: rejected

    pages = []
    for _ in range(2):  # each its own application, as two `dropcast web` processes
        *_, (status, page) = await exchange(
            config, [unsigned, SCRAPE], clock=world.clock, announcer=world.announcer,
            messenger=world.messenger,
        )  # fmt: skip
        assert status == 200
        pages.append(page["text"].splitlines())

    first, second = ([line for line in page if BUSINESS.match(line)] for page in pages)
    assert first == second
    assert "dropcast_holds_held 1.0" in first
    assert 'dropcast_orders_paid{currency="EUR"} 1.0' in first
    assert 'dropcast_revenue_paid_minor{currency="EUR"} 2500.0' in first
    assert "dropcast_provider_events_waiting 0.0" in first
    assert 'dropcast_notices{status="failed"} 0.0' in first
    webhooks = [
        [line for line in page if line.startswith("dropcast_webhook_events_total{")]
        for page in pages
    ]
    assert [len(lines) for lines in webhooks] == [1, 1]  # this process's delivery only
    assert all('provider="stripe",result="rejected"} 1.0' in lines[0] for lines in webhooks)
    assert webhooks[0][0].split('"')[1] != webhooks[1][0].split('"')[1]  # process="web@…"
