"""Memberships on Discord through discord.py against the Discord peer, with Stripe Billing
behind (its peer): a fan's `/join` and `/membership`, the creator's `/plan` commands."""

from __future__ import annotations

from typing import Any

import pytest

from core.memberships.plans import PlanSpec
from core.models import MembershipPlan
from core.money import Money
from tests.integration.test_stripe_memberships import WEBHOOK_SECRET, Stripe
from tests.scenario.discord_guild import CREATOR, FAN, Guild, option


@pytest.fixture
def guild_settings(stripe_peer) -> dict[str, Any]:
    """The bot in a server sells memberships through the Stripe Billing peer."""
    return {
        "stripe_secret_key": "sk_test_dropcast",
        "stripe_api_base": stripe_peer[1],
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "public_base_url": "https://drops.example.com",
    }


async def subscribe(guild: Guild, stripe_peer, reply) -> None:
    """The fan follows the Join button and subscribes on Stripe's page; Stripe's events
    reach our webhook."""
    checkout = stripe_peer[0]
    url = reply.button("Join")["url"]
    [session] = [s for s in checkout.sessions.values() if s["url"] == url]
    side = Stripe(guild.app.core, checkout)
    await checkout.complete(session["id"])
    await side.deliver(side.pending())


async def test_a_fan_joins_with_a_link_then_sees_the_membership_and_a_second_join_is_refused(
    guild, stripe_peer
):
    await guild.app.core.plans.create(PlanSpec("Backstage club", Money(500, "EUR")))
    [choice] = await guild.peer.autocomplete(FAN, "join", "plan", "backst")
    assert choice["name"] == "Backstage club (5.00 EUR / month)"
    nothing = await guild.command(FAN, "membership")
    assert (nothing.ephemeral, "not a member of any plan" in nothing.text()) == (True, True)

    joined = await guild.command(FAN, "join", option("plan", choice["value"]))
    assert joined.ephemeral
    assert joined.button("Join")["url"].startswith("https://checkout.stripe")
    await subscribe(guild, stripe_peer, joined)

    shown = await guild.command(FAN, "membership")
    assert shown.ephemeral
    assert shown.text().startswith("Backstage club: active, renews on ")
    [portal] = stripe_peer[0].billing.portal_sessions.values()
    assert shown.button("Manage Backstage club")["url"] == portal["url"]

    again = await guild.command(FAN, "join", option("plan", choice["value"]))
    assert "already a member of 'Backstage club'" in again.text()
    assert again.button("Manage membership")["url"].startswith("https://billing.stripe")
    assert len(stripe_peer[0].sessions) == 1  # no second Checkout page


async def test_joining_a_plan_nobody_sells_changes_nothing(guild, stripe_peer):
    unknown = await guild.command(FAN, "join", option("plan", "Gold"))
    assert unknown.text() == "there is no plan called 'Gold'."
    assert unknown.buttons() == []
    assert stripe_peer[0].sessions == {}


async def test_only_admins_make_list_and_archive_plans(guild):
    made = option("name", "Patrons"), option("price", "50.00 EUR")
    refused = await guild.command(FAN, "plan create", *made)
    assert refused.text() == "Only the creator's admins can do that."
    assert await MembershipPlan.all().count() == 0

    bad = await guild.command(CREATOR, "plan create", option("name", "Patrons"),
                              option("price", "fifty"), admin=True)  # fmt: skip
    assert bad.text().startswith("Not created: ")
    assert await MembershipPlan.all().count() == 0

    yearly = option("period", "yearly"), option("trial_days", 7, 4), option("stars", 250, 4)
    done = await guild.command(CREATOR, "plan create", *made, *yearly, admin=True)
    assert done.text().startswith("On sale: #1 Patrons: 50.00 EUR / year, 250 Stars / 30 days")
    listed = await guild.command(CREATOR, "plan list", admin=True)
    assert listed.text().startswith("#1 Patrons")
    assert listed.text().endswith("on sale")
    assert (
        await guild.command(FAN, "plan list")
    ).text() == "Only the creator's admins can do that."

    archived = await guild.command(CREATOR, "plan archive", option("plan_id", 1, 4), admin=True)
    assert archived.text().startswith("Archived: Patrons sells no more")
    twice = await guild.command(CREATOR, "plan archive", option("plan_id", 1, 4), admin=True)
    assert "archived already" in twice.text()
