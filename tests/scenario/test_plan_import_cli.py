"""`dropcast plan import` as a creator runs it: a real process on a real database, the real
`stripe` library against the Billing peer, the Telegram peer naming the bot."""

from __future__ import annotations

import asyncio
import csv
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.databases import migrated_sqlite
from tests.peers.stripe_checkout import StripeCheckoutPeer
from tests.peers.telegram_bot_api import TelegramBotApi
from tests.scenario.dropcast_process import CLI_DATABASE, dropcast


@pytest.fixture(autouse=True)
def _migrated(tmp_path: Path) -> None:
    migrated_sqlite(tmp_path / CLI_DATABASE)


async def run(tmp_path: Path, *args: str, **env: str) -> Any:
    """The command in its own process, while this test's loop serves the peers."""
    return await asyncio.to_thread(dropcast, tmp_path, *args, **env)


async def elsewhere(checkout: StripeCheckoutPeer, amount: int, currency: str, email: str) -> str:
    price = checkout.billing._price(
        {"currency": currency, "unit_amount": amount, "recurring": {"interval": "month"},
         "product_data": {"name": "Old tool's tier"}}, "",
    )  # fmt: skip
    return str((await checkout.billing.started_elsewhere(price["id"], email))["id"])


async def test_import_shows_matches_masked_then_gives_claim_links_and_a_private_csv(
    tmp_path, stripe_peer
):
    checkout, url = stripe_peer
    stripe = {"STRIPE_SECRET_KEY": "sk_test_cli", "STRIPE_API_BASE": url,
              "PUBLIC_BASE_URL": "https://drops.example.com"}  # fmt: skip
    assert (await run(tmp_path, "plan", "create", "Club", "--price", "5.00 EUR")).returncode == 0
    club = await elsewhere(checkout, 500, "eur", "ada@example.com")
    odd = await elsewhere(checkout, 999, "usd", "cy@example.com")

    dry = await run(tmp_path, "plan", "import", "--dry-run", **stripe)
    assert dry.returncode == 0, dry.stderr
    assert (club in dry.stdout, odd in dry.stdout) == (True, True)
    assert "a***@example.com" in dry.stdout
    assert "ada@example.com" not in dry.stdout + dry.stderr
    assert "no plan on sale at 9.99 USD / monthly" in dry.stdout
    assert "Dry run: 2 found, 1 matching no plan; nothing was stored." in dry.stdout
    assert checkout.billing.subscriptions[club]["metadata"] == {}

    async with TelegramBotApi() as telegram:
        done = await run(
            tmp_path, "plan", "import", "--csv", "claims.csv", **stripe,
            TELEGRAM_TOKEN=telegram.token, TELEGRAM_API_BASE_URL=telegram.url,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "https://t.me/dropcast_bot?start=claim_" in done.stdout
    assert "Claim links given: 1, each working once, for 30 days." in done.stdout
    assert "Left alone, matching no plan: 1." in done.stdout
    written = tmp_path / "claims.csv"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    with written.open() as file:
        rows = {row["subscription"]: row for row in csv.DictReader(file)}
    assert rows[club]["email"] == "ada@example.com"
    assert rows[club]["plan"] == "Club"
    assert rows[club]["telegram_link"].startswith("https://t.me/dropcast_bot?start=claim_")
    assert (rows[odd]["telegram_link"], rows[odd]["plan"]) == ("", "")


async def test_import_without_a_stripe_key_names_the_setting(tmp_path):
    refused = await run(tmp_path, "plan", "import")
    assert refused.returncode == 2
    assert refused.stderr.strip() == "dropcast: Stripe: STRIPE_SECRET_KEY is not set"
