"""A fan on a phone buys from a drop's public page in a real browser (Debian's Chromium,
driven by Playwright), paying through the Stripe peer: the page shows the countdown and the
tiers, tap 1 lands on Stripe's Checkout page, the fan pays there (tap 2), Stripe's webhook
lands, and the page Stripe sends them back to shows their goods."""

from __future__ import annotations

import contextvars
import json
from datetime import timedelta

import stripe
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from bots.web_process import web_application
from config import load_settings
from core.models import Order, Reservation
from tests.builders import tier
from tests.scenario.web_client import free_port

PHONE = {"width": 390, "height": 844}
WEBHOOK_SECRET = "whsec_drop_page_test"
STRIPE_PAGE = "https://checkout.stripe.test/"
GOODS = "https://files.example/sample-pack.zip"


async def test_a_fan_buys_on_a_phone_in_two_taps_and_sees_the_goods(
    world, stripe_peer, browser, tmp_path
):
    checkout, api_base = stripe_peer
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    config = load_settings(
        database_url=world.app.settings.database_url,
        public_base_url=site,
        stripe_secret_key="sk_test_dropcast",
        stripe_api_base=api_base,
        stripe_webhook_secret=WEBHOOK_SECRET,
    )
    made = await world.core.drops.create(
        "Spring drop", [tier("Sample pack", kind="digital", price="9.00 EUR", content=GOODS)]
    )
    await world.core.drops.schedule(made.id, world.clock.now() + timedelta(hours=1))
    server = TestServer(web_application(config, clock=world.clock), port=port)
    await contextvars.Context().run(server.start_server)
    try:
        page = await browser.new_page(viewport=PHONE)
        await page.route(  # Stripe's own page: the peer serves its API, not its HTML
            f"{STRIPE_PAGE}**", lambda route: route.fulfill(body="<h1>Stripe Checkout</h1>")
        )
        await page.goto(f"{site}/d/{made.code}")
        assert await page.locator("time[datetime]").count() == 1
        assert "Opens" in await page.locator(".when").inner_text()
        assert await page.locator("button[disabled]").inner_text() == "Opens in 1 h 0 min"
        await world.core.drops.open(made.id)
        world.clock.advance(seconds=2)
        await page.goto(f"{site}/d/{made.code}")
        await page.screenshot(path=str(tmp_path / "drop-page-phone.png"), full_page=True)
        assert "Sample pack" in await page.locator(".tier h2").inner_text()
        assert "10 of 10 left" in await page.locator(".tier").inner_text()
        await page.click("button[type=submit]")  # tap 1
        await page.wait_for_url(f"{STRIPE_PAGE}**")
        [session] = checkout.sessions.values()
        assert page.url == session["url"]
        event = await checkout.complete(session["id"])  # tap 2: the fan pays on Stripe's page
        [hold] = await Reservation.all()
        await page.goto(f"{site}/paid?hold={hold.id}")
        assert "being confirmed" in await page.content()
        body = json.dumps(event)
        signature = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
        async with (
            ClientSession() as stripe_sends,
            stripe_sends.post(
                f"{site}/webhooks/stripe", data=body, headers={"Stripe-Signature": signature}
            ) as reply,
        ):
            assert reply.status == 200
        await page.wait_for_selector("#goods", timeout=20_000)  # the page looks again by itself
        assert await page.locator("#goods").inner_text() == GOODS
        assert "Payment received" in await page.locator("h1").inner_text()
        await page.screenshot(path=str(tmp_path / "paid-phone.png"), full_page=True)
        assert await Order.filter(hold_id=hold.id).count() == 1
    finally:
        await server.close()
