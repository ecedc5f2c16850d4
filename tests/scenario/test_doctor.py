"""`dropcast doctor` against the strict peers: Discord, Telegram and Stripe on
loopback, the real web app answering PUBLIC_BASE_URL, a migrated SQLite database. One case
where everything holds, then each thing that can be wrong, with the fix the creator reads
and the exit code a script sees. The command runs in-process (typer's CliRunner) in a
thread, so the peers in this test's loop answer it."""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import structlog
from aiohttp.test_utils import TestServer
from typer.testing import CliRunner, Result

from adapters.memory import ManualClock
from adapters.stripe.webhooks import ACTED_ON, MEMBERSHIP
from bots.cli import root_command
from bots.database import database
from bots.web_process import web_application
from config import load_settings
from core.kinds import Platform
from core.models import Community, Perk
from tests.databases import migrated_sqlite
from tests.peers.discord_api import (
    BOT_ROLE,
    DROPS_CHANNEL,
    EMBED_LINKS,
    GUILD_ID,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    DiscordApi,
)
from tests.peers.stripe_checkout import StripeCheckoutPeer, webhook_endpoint
from tests.peers.telegram_bot_api import TelegramBotApi
from tests.scenario.web_client import free_port

INSIDER_ROLE = "720000000000000002"  # position 2, below the bot's Dropcast role (5)
CHANNEL, PERK_CHAT = -1001234, -1005678
STRIPE_KEY, WEBHOOK_SECRET = "sk_test_doctor_key_secret", "whsec_doctor_secret"
ALL_RIGHTS = {"can_invite_users": True, "can_restrict_members": True}


@pytest.fixture(autouse=True)
def _logging_put_back() -> Iterator[None]:
    """Each command configures structlog onto the runner's stderr; put it back after."""
    yield
    structlog.reset_defaults()


@dataclass
class Services:
    discord: DiscordApi
    telegram: TelegramBotApi
    stripe: StripeCheckoutPeer
    env: dict[str, str | None] = field(default_factory=dict)

    async def doctor(self, *args: str, **env: str | None) -> Result:
        settings = {"COLUMNS": "200", **self.env, **env}
        runner = CliRunner()
        return await asyncio.to_thread(
            runner.invoke, root_command(), ["doctor", *args], env=settings
        )

    async def report(self, **env: str | None) -> dict[str, dict]:
        """The checks of `--json`, by name."""
        result = await self.doctor("--json", **env)
        return {check["name"]: check for check in json.loads(result.stdout)["checks"]}


async def connected(url: str) -> None:
    """What the creator connected: a Discord server with its drop channel and a perk role,
    a Telegram channel and a perk chat."""
    async with database(url):
        await Community.create(platform=Platform.DISCORD, platform_ref=GUILD_ID,
                               name="Fan Club", announce_channel_ref=DROPS_CHANNEL)  # fmt: skip
        await Perk.create(name="insider", title="Insider", platform=Platform.DISCORD,
                          place_ref=GUILD_ID, ref=INSIDER_ROLE)  # fmt: skip
        await Community.create(platform=Platform.TELEGRAM, platform_ref=str(CHANNEL), name="Drops")
        await Perk.create(name="backstage", title="Backstage", platform=Platform.TELEGRAM,
                          place_ref=str(PERK_CHAT), ref=str(PERK_CHAT))  # fmt: skip


@asynccontextmanager
async def web_process(url: str) -> AsyncIterator[str]:
    """The real web app at PUBLIC_BASE_URL, in its own context as in its own process."""
    address: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()

    async def serve() -> None:
        app = web_application(load_settings(database_url=url))
        async with TestServer(app, host="127.0.0.1") as server:
            address.set_result(str(server.make_url("")).rstrip("/"))
            await stop.wait()

    serving = asyncio.create_task(serve(), context=contextvars.Context())
    try:
        yield await address
    finally:
        stop.set()
        await serving


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    url = await asyncio.to_thread(migrated_sqlite, tmp_path / "doctor.sqlite3")
    await connected(url)
    stripe = StripeCheckoutPeer(ManualClock())
    async with (
        DiscordApi(members_intent=True) as discord,
        TelegramBotApi() as telegram,
        TestServer(stripe.app, host="127.0.0.1") as stripe_server,
        web_process(url) as public,
    ):
        telegram.chats[CHANNEL] = "channel"
        telegram.bot_rights[CHANNEL] = {"can_post_messages": True, "can_edit_messages": True}
        telegram.bot_rights[PERK_CHAT] = dict(ALL_RIGHTS)
        stripe.webhook_endpoints.append(
            webhook_endpoint(f"{public}/webhooks/stripe", sorted(ACTED_ON))
        )
        yield Services(discord, telegram, stripe, {
            "DATABASE_URL": url, "PUBLIC_BASE_URL": public,
            "DISCORD_TOKEN": discord.token, "DISCORD_API_BASE_URL": discord.api_base,
            "TELEGRAM_TOKEN": telegram.token, "TELEGRAM_API_BASE_URL": telegram.url,
            "STRIPE_SECRET_KEY": STRIPE_KEY, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": str(stripe_server.make_url("")).rstrip("/"),
        })  # fmt: skip


def failing(result: Result, name: str) -> str:
    """The failing line that starts with `name`, with its fix under it."""
    lines = result.stdout.splitlines()
    for at, line in enumerate(lines):
        if line[2:].startswith(name) and line[0] in "✗!":
            return f"{line}\n{lines[at + 1]}"
    raise AssertionError(f"no failing line {name!r} in:\n{result.stdout}")


async def test_everything_a_drop_needs_holds_every_line_is_ticked_and_no_secret_shows(services):
    result = await services.doctor()
    assert result.exit_code == 0, result.stdout
    lines = result.stdout.splitlines()
    assert [line[0] for line in lines] == ["✓"] * len(lines)
    shown = "\n".join(line[2:].split(":")[0] for line in lines)
    assert shown == (
        "Database\nPUBLIC_BASE_URL\nDiscord token\nDiscord 'Fan Club'\nDiscord 'Fan Club'\n"
        "Discord 'Fan Club'\nDiscord 'Fan Club'\nTelegram token\nTelegram chat 'Drops'\n"
        "Telegram perk chat 'backstage'\nStripe key\nStripe webhook endpoint\n"
        "STRIPE_WEBHOOK_SECRET"
    )
    for secret in (STRIPE_KEY, WEBHOOK_SECRET, services.discord.token, services.telegram.token):
        assert secret not in result.stdout + result.stderr


async def test_json_is_one_object_with_every_check_and_whether_a_drop_would_work(services):
    result = await services.doctor("--json", STRIPE_WEBHOOK_SECRET=None)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert set(report) == {"ok", "checks"}
    assert set(report["checks"][0]) == {"name", "ok", "detail", "fix", "severity", "skipped"}
    [unset] = [check for check in report["checks"] if not check["ok"]]
    assert unset["name"] == "STRIPE_WEBHOOK_SECRET"
    assert unset["severity"] == "breaks a drop"


async def test_each_refused_token_is_a_failing_line_with_where_to_get_a_new_one(services):
    services.discord.token = services.telegram.token = "revoked"
    result = await services.doctor(STRIPE_SECRET_KEY="pk_test_the_publishable_key")
    assert result.exit_code == 1
    assert "Developer Portal (Bot → Reset Token)" in failing(result, "Discord token")
    assert "@BotFather (/token)" in failing(result, "Telegram token")
    assert "Developers → API keys" in failing(result, "Stripe key")
    assert "Discord 'Fan Club'" not in result.stdout  # nothing more is asked with a bad token


@pytest.mark.parametrize(
    ("denied", "named"),
    [
        (SEND_MESSAGES, "Send Messages"),
        (EMBED_LINKS, "Embed Links"),
        (VIEW_CHANNEL, "View Channel"),
    ],
)
async def test_a_drop_channel_the_bot_cannot_post_in_names_the_permission(services, denied, named):
    services.discord.deny(DROPS_CHANNEL, denied, to=BOT_ROLE)
    result = await services.doctor()
    assert result.exit_code == 1
    line = failing(result, "Discord 'Fan Club': drop channel")
    assert f"fix: give the Dropcast role {named}" in line
    assert "(Edit Channel → Permissions)" in line


async def test_a_perk_role_above_the_bots_own_says_where_to_drag_it(services):
    insider = next(role for role in services.discord.roles if role["id"] == INSIDER_ROLE)
    insider["position"] = 7  # above Dropcast (5)
    result = await services.doctor()
    assert result.exit_code == 1
    assert "drag the Dropcast role above Insider in Server Settings → Roles" in failing(
        result, "Discord 'Fan Club': perk roles"
    )


async def test_no_create_events_is_a_warning_that_does_not_fail_the_drop(services):
    bot_role = next(role for role in services.discord.roles if role["id"] == BOT_ROLE)
    bot_role["permissions"] = str(VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | (1 << 28))
    result = await services.doctor()
    assert result.exit_code == 0
    line = failing(result, "Discord 'Fan Club': Create Events")
    assert line.startswith("!")
    assert "give the Dropcast role Create Events" in line


async def test_no_server_members_intent_is_a_warning_naming_the_switch(services):
    services.discord.members_intent = False
    result = await services.doctor()
    assert result.exit_code == 0
    line = failing(result, "Discord 'Fan Club': member list")
    assert line.startswith("!")
    assert "switch on the Server Members Intent" in line


@pytest.mark.parametrize(
    ("right", "named"),
    [("can_invite_users", "Invite users via link"), ("can_restrict_members", "Ban users")],
)
async def test_a_perk_chat_without_a_right_names_it(services, right, named):
    services.telegram.bot_rights[PERK_CHAT][right] = False
    result = await services.doctor()
    assert result.exit_code == 1
    assert f'give the bot the "{named}" right' in failing(result, "Telegram perk chat 'backstage'")


async def test_a_channel_where_the_bot_cannot_post_names_the_right(services):
    services.telegram.bot_rights[CHANNEL]["can_post_messages"] = False
    result = await services.doctor()
    assert result.exit_code == 1
    assert 'give the bot the "Post messages" right' in failing(result, "Telegram chat 'Drops'")


@pytest.mark.parametrize(
    ("endpoint", "fix"),
    [
        ({"url": "https://elsewhere.example/webhooks/stripe"}, "add an endpoint in the Stripe"),
        (
            {"enabled_events": ["checkout.session.completed"]},
            "add the events charge.dispute.closed",
        ),
        ({"status": "disabled"}, "enable it in the Stripe Dashboard"),
    ],
    ids=["none for this address", "an event missing", "disabled"],
)
async def test_a_stripe_endpoint_that_would_not_confirm_payments_is_named(services, endpoint, fix):
    services.stripe.webhook_endpoints[0].update(endpoint)
    result = await services.doctor()
    assert result.exit_code == 1
    assert fix in failing(result, "Stripe webhook endpoint")


async def test_an_endpoint_without_the_membership_events_is_a_warning_not_a_failure(services):
    drops_only = sorted(ACTED_ON - MEMBERSHIP)  # a creator who sells no memberships
    services.stripe.webhook_endpoints[0].update({"enabled_events": drops_only})
    result = await services.doctor()
    assert result.exit_code == 0
    line = failing(result, "Stripe webhook endpoint")
    assert line.startswith("!")
    assert "customer.subscription.created" in line


async def test_no_webhook_secret_says_where_to_copy_it_from(services):
    result = await services.doctor(STRIPE_WEBHOOK_SECRET=None)
    assert result.exit_code == 1
    assert "signing secret (whsec_…" in failing(result, "STRIPE_WEBHOOK_SECRET")


async def test_a_public_address_that_does_not_answer_is_a_failure(services):
    result = await services.doctor(PUBLIC_BASE_URL=f"http://127.0.0.1:{free_port()}")
    assert result.exit_code == 1
    assert "start `dropcast web`" in failing(result, "PUBLIC_BASE_URL")


async def test_a_database_not_migrated_says_so_and_the_tokens_are_still_checked(services, tmp_path):
    result = await services.doctor(DATABASE_URL=f"sqlite://{tmp_path / 'new.sqlite3'}")
    assert result.exit_code == 1
    assert "run `dropcast migrate` first" in failing(result, "Database")
    assert "✓ Discord token" in result.stdout
    assert "Discord 'Fan Club'" not in result.stdout  # the servers are known from the database


async def test_platforms_not_configured_are_listed_and_none_at_all_fails(services):
    only_telegram = await services.report(DISCORD_TOKEN=None, STRIPE_SECRET_KEY=None)
    assert only_telegram["Discord"] == only_telegram["Discord"] | {"ok": True, "skipped": True}
    assert only_telegram["Stripe"]["skipped"]
    nothing = await services.doctor(DISCORD_TOKEN=None, TELEGRAM_TOKEN=None, STRIPE_SECRET_KEY=None)
    assert nothing.exit_code == 1
    assert "set DISCORD_TOKEN and/or TELEGRAM_TOKEN" in failing(nothing, "Discord and Telegram")
