"""Tracked `/l/` join links, tapped through the web process against the Stripe Billing peer:
a fan's own link makes a fresh Checkout page at each tap (a page expires in 24 hours), a
member's leads to their portal instead, a plan no longer sold says so; a public link leads
to the Telegram bot's /join for the plan."""

from __future__ import annotations

from bots.bootstrap import bootstrap
from bots.database import database
from config import load_settings
from core.fans import FanRef, fan_id_of
from core.kinds import Platform
from core.memberships.plans import PlanSpec
from core.models import Link
from core.money import Money
from tests.scenario.web_client import exchange

FAN = FanRef(Platform.DISCORD, "500000000000000001", "Ada")


async def test_a_fans_join_link_makes_a_fresh_checkout_at_each_tap(database_url, stripe_peer):
    checkout, base = stripe_peer
    config = load_settings(
        database_url=database_url,
        stripe_secret_key="sk_test_dropcast",
        stripe_api_base=base,
        public_base_url="https://drops.example.com",
    )
    async with database(database_url):
        app = bootstrap(config)
        plan = await app.core.plans.create(PlanSpec("Club", Money(500, "EUR")))
        own = await app.core.join_links.for_fan("Club", await fan_id_of(FAN))
        assert await app.core.join_links.for_fan(plan.id, FAN) == own  # the same link again
        public = await app.core.join_links.public("Club", "@dropcast_bot")
        await app.close()
    code, public_code = own.rsplit("/", 1)[1], public.rsplit("/", 1)[1]
    first, second, to_bot = await exchange(
        config, [f"/l/{code}", f"/l/{code}", f"/l/{public_code}"]
    )
    sessions = [s["url"] for s in checkout.sessions.values()]
    assert (first[0], second[0]) == (302, 302)
    assert [first[1]["location"], second[1]["location"]] == sessions  # two fresh pages
    assert [s["metadata"]["plan_id"] for s in checkout.sessions.values()] == [str(plan.id)] * 2
    assert to_bot[0] == 302
    assert to_bot[1]["location"] == f"https://t.me/dropcast_bot?start=join_{plan.id}"
    async with database(database_url):
        assert (await Link.get(code=code)).clicks == 2
        app = bootstrap(config)
        await app.core.plans.archive(plan.id)
        await app.close()
    [(status, body)] = await exchange(config, [f"/l/{code}"])
    assert status == 410
    assert "The plan &#x27;Club&#x27; is no longer offered." in body["text"]
    assert len(checkout.sessions) == 2
