"""A subscriber moved in from another tool (`dropcast plan import`) claims their membership
from the bots: Telegram's `/start claim_<code>` deep link, Discord's `/claim-membership`. The
real python-telegram-bot and discord.py clients against their peers, the real `stripe`
library against the Billing peer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.discord.membership_claims import claim_command
from adapters.memory import MemoryPayLinks, MemoryRefunds
from adapters.telegram.claims import claim_link
from adapters.wording import day
from bots.bootstrap import bootstrap
from config import load_settings
from core.app import Core
from core.memberships.plans import PlanSpec
from core.models import Membership
from core.money import Money
from core.privacy import export
from tests.peers.stripe_checkout import StripeCheckoutPeer
from tests.peers.telegram_bot_api import TelegramBotApi
from tests.scenario.discord_guild import FAN as DISCORD_FAN
from tests.scenario.discord_guild import option
from tests.scenario.telegram_chat import FAN, OTHER, Bot, polling

STRIPE = {"stripe_secret_key": "sk_test_dropcast", "public_base_url": "https://drops.example.com"}


async def moved_in(core: Core, checkout: StripeCheckoutPeer) -> tuple[str, str, datetime]:
    """A Club subscription another tool started, imported: its id, claim code, period end."""
    await core.plans.create(PlanSpec("Club", Money(500, "EUR")))
    price = checkout.billing._price(
        {"currency": "eur", "unit_amount": 500, "recurring": {"interval": "month"},
         "product_data": {"name": "Old tool's tier"}}, "",
    )  # fmt: skip
    sub = await checkout.billing.started_elsewhere(price["id"], "ada@example.com")
    [found] = await core.importing.run()
    assert found.code is not None
    end = datetime.fromtimestamp(sub["items"]["data"][0]["current_period_end"], UTC)
    return sub["id"], found.code, end


@pytest.fixture
async def telegram(db, clock, stripe_peer) -> AsyncIterator[Bot]:
    async with TelegramBotApi() as peer:
        settings = load_settings(
            database_url=db, telegram_token=peer.token, telegram_api_base_url=peer.url,
            stripe_api_base=stripe_peer[1], **STRIPE,
        )  # fmt: skip
        peer.now = lambda: clock.now().timestamp()
        app = bootstrap(settings, clock=clock, pay_links=MemoryPayLinks(), refunds=MemoryRefunds())
        async with polling(app, settings):
            yield Bot(peer, app, clock)
        await app.close()


@pytest.fixture
def guild_settings(stripe_peer) -> dict[str, Any]:
    return {"stripe_api_base": stripe_peer[1], **STRIPE}


async def test_a_subscriber_claims_with_the_telegram_deep_link_once(telegram, stripe_peer):
    sub, code, end = await moved_in(telegram.app.core, stripe_peer[0])
    assert claim_link("dropcast_bot", code) == f"https://t.me/dropcast_bot?start=claim_{code}"
    welcome = (await telegram.says(FAN, f"/start claim_{code}")).text
    assert welcome == (
        f"Welcome in: your Club membership is yours here now, paid through {day(end)}. It "
        "renews as before, at the price you pay: nothing new was charged."
    )
    member = await Membership.get(subscription_ref=sub)
    assert (member.state, member.current_period_end) == ("active", end)
    again = (await telegram.says(OTHER, f"/start claim_{code}")).text
    assert again.startswith("Not claimed: that claim link was used already")
    unknown = (await telegram.says(OTHER, "/start claim_nothing")).text
    assert unknown.startswith("Not claimed: that is not a claim link")


async def test_a_subscriber_claims_with_the_discord_command(guild, stripe_peer):
    sub, code, end = await moved_in(guild.app.core, stripe_peer[0])
    assert claim_command(code) == f"/claim-membership code:{code}"
    said = await guild.command(DISCORD_FAN, "claim-membership", option("code", code))
    assert said.ephemeral
    assert f"your Club membership is yours here now, paid through {day(end)}" in said.text()
    member = await Membership.get(subscription_ref=sub)
    assert member.current_period_end == end
    [claimed] = (await export(member.fan_id))["membership_claims"]  # in the fan's own data
    assert (claimed["plan__name"], claimed["subscription_ref"]) == ("Club", sub)
    again = await guild.command(DISCORD_FAN, "claim-membership", option("code", code))
    assert again.text() == "Not claimed: you are a member of 'Club' already."
