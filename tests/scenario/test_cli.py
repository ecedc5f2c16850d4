"""The `dropcast` command as a creator uses it: real process, real SQLite file, exit codes."""

from __future__ import annotations

import asyncio
import csv
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.drops.order_rows import PaymentReceived
from core.fans import fan_for
from core.kinds import OrderStatus, Platform
from core.messages import CampaignDM
from core.models import Fan, Order
from core.money import Money
from tests.builders import fans, open_drop, tier
from tests.databases import migrated_sqlite
from tests.scenario.dropcast_process import CLI_DATABASE, SECRET, dropcast


@pytest.fixture(autouse=True)
def _migrated(tmp_path: Path) -> None:
    """Each test starts where a creator has run `dropcast migrate`: no other command
    creates or changes the schema."""
    migrated_sqlite(tmp_path / CLI_DATABASE)


def test_a_wrong_setting_is_one_line_exit_2_and_never_shows_a_secret(tmp_path):
    result = dropcast(tmp_path, "migrate", PORT="eighty", TELEGRAM_TOKEN=SECRET)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "dropcast: setting PORT Input should be a valid integer, unable to parse string as an "
        "integer"
    ]
    assert SECRET not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_database_scheme_is_named(tmp_path):
    result = dropcast(tmp_path, "migrate", DATABASE_URL="mysql://localhost/x")
    assert result.returncode == 2
    assert "DATABASE_URL must start with sqlite:// or postgres://" in result.stderr


def test_the_toml_file_is_read_and_the_environment_wins(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "dropcast.toml").write_text('creator_timezone = "Mars/Olympus"\n')
    result = dropcast(tmp_path, "migrate")
    assert result.returncode == 2
    assert "CREATOR_TIMEZONE is not an IANA time zone" in result.stderr
    assert dropcast(tmp_path, "migrate", CREATOR_TIMEZONE="Europe/Berlin").returncode == 0


def test_a_creator_creates_schedules_opens_and_closes_a_drop(tmp_path):
    created = dropcast(
        tmp_path,
        "drop",
        "create",
        "Winter drop",
        "--tier",
        "name=Signed print, price=25.00 EUR, stock=50, kind=physical, limit=2",
        "--tier",
        "name=Digital, price=900 JPY, stock=100, content=https://files.example/album.zip",
    )
    assert created.returncode == 0, created.stderr
    assert "#1 Winter drop" in created.stdout
    assert "25.00 EUR" in created.stdout
    assert "900 JPY" in created.stdout
    scheduled = dropcast(
        tmp_path, "drop", "schedule", "1", "--opens-at", "+1h", "--early-access", "insider:30"
    )
    assert scheduled.returncode == 0, scheduled.stderr
    assert "scheduled" in scheduled.stdout
    assert "insider 30 min early" in scheduled.stdout
    assert dropcast(tmp_path, "drop", "open", "1").returncode == 0
    again = dropcast(tmp_path, "drop", "open", "1")
    assert again.returncode == 1
    assert "already open" in again.stderr
    listed = dropcast(tmp_path, "drop", "list")
    assert "open" in listed.stdout
    assert "150" in listed.stdout
    closed = dropcast(tmp_path, "drop", "close", "1")
    assert "closed" in closed.stdout


@pytest.mark.parametrize(
    ("tier", "message"),
    [
        ("name=Print, price=9.99, stock=5", 'is not "AMOUNT CURRENCY"'),
        ("name=Print, price=-5.00 EUR, stock=5", 'is not "AMOUNT CURRENCY"'),
        ("name=Print, price=9.999 EUR, stock=5", "it would have to be rounded"),
        ("name=Print, price=9.99 ABC, stock=5", "unknown currency"),
        ("name=Print, price=9.99 EUR, stock=0", "stock must be between 1 and"),
        ("name=Print, price=9.99 EUR, stock=-3", "stock must be between 1 and"),
        ("name=Print, price=9.99 EUR, stock=2.5", "stock must be a whole number"),
        ("name=Print, price=9.99 EUR", "needs stock"),
        ("name=Album, price=9.99 EUR, stock=5", "give its content"),
        ("name=Print, price=9.99 EUR, stock=5, colour=red", "unknown field(s) colour"),
    ],
)
def test_bad_tier_arguments_are_refused_clearly_and_create_nothing(tmp_path, tier, message):
    result = dropcast(tmp_path, "drop", "create", "Bad", "--tier", tier)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert "No drops yet" in dropcast(tmp_path, "drop", "list").stdout


def test_schedule_in_the_past_or_backwards_is_refused(tmp_path):
    dropcast(
        tmp_path, "drop", "create", "D", "--tier", "name=A, price=1.00 EUR, stock=1, kind=physical"
    )
    past = dropcast(tmp_path, "drop", "schedule", "1", "--opens-at", "2020-01-01T10:00")
    assert past.returncode == 1
    assert "is in the past" in past.stderr
    opens = (datetime.now(UTC) + timedelta(days=2)).isoformat(timespec="minutes")
    backwards = dropcast(
        tmp_path, "drop", "schedule", "1", "--opens-at", "+3d", "--closes-at", opens
    )
    assert "closes_at must be after opens_at" in backwards.stderr
    nonsense = dropcast(tmp_path, "drop", "schedule", "1", "--opens-at", "tomorrowish")
    assert "is not a time" in nonsense.stderr
    assert "draft" in dropcast(tmp_path, "drop", "show", "1").stdout


def test_a_relative_closing_counts_from_the_opening(tmp_path):
    dropcast(
        tmp_path, "drop", "create", "D", "--tier", "name=A, price=1.00 EUR, stock=1, kind=physical"
    )
    result = dropcast(tmp_path, "drop", "schedule", "1", "--opens-at", "+2d", "--closes-at", "+3d")
    assert result.returncode == 0, result.stderr
    words = result.stdout.split()
    opens = datetime.fromisoformat(words[words.index("opens") + 1])
    closes = datetime.fromisoformat(words[words.index("closes") + 1])
    assert opens - datetime.now(UTC) > timedelta(days=1, hours=23)
    assert closes - opens == timedelta(days=3)


def test_unknown_drop_is_named(tmp_path):
    result = dropcast(tmp_path, "drop", "show", "42")
    assert result.returncode == 1
    assert "there is no drop #42" in result.stderr


def test_run_without_tokens_says_so_first_and_rehearses_a_drop(tmp_path):
    result = dropcast(tmp_path, "run")
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("No platform connected: set DISCORD_TOKEN and/or TELEGRAM_TOKEN")
    assert "Sandbox summary" in result.stdout
    assert "oversold" in result.stdout


def summary_rows(output: str) -> dict[str, str]:
    rows = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if len(cells) == 2:
            rows[cells[0]] = cells[1]
    return rows


def test_sandbox_sells_without_overselling_and_the_same_seed_replays(tmp_path):
    args = ("sandbox", "--fans", "80", "--units", "20", "--seconds", "0", "--seed", "3")
    result = dropcast(tmp_path, *args)
    assert result.returncode == 0, result.stderr
    rows = summary_rows(result.stdout)
    assert rows["oversold"] == "0"
    sold, _, stock = rows["sold"].partition(" of ")
    assert 15 <= int(sold) <= int(stock) == 20
    assert "is open" in result.stdout
    assert "sold out" in result.stdout
    # then a month of a membership, and its figures (tests/unit/test_sandbox_members.py)
    assert "card declined at the trial's end: past due" in result.stdout
    assert "MRR: 25.00 EUR a month from 5 paying members" in result.stdout
    assert "Trials: 5 of 7 ended trials became paid" in result.stdout
    assert summary_rows(dropcast(tmp_path, *args).stdout) == rows


def test_order_commands_answer_clearly_when_there_is_nothing(tmp_path):
    listed = dropcast(tmp_path, "order", "list", "--to-ship")
    assert listed.returncode == 0, listed.stderr
    assert "No orders to show." in listed.stdout
    missing = dropcast(tmp_path, "order", "ship", "7")
    assert missing.returncode == 1
    assert "there is no order #7" in missing.stderr
    refund = dropcast(tmp_path, "order", "refund", "7", "--restock")
    assert "there is no order #7" in refund.stderr


async def test_a_flagged_payment_is_listed_for_the_creator_to_refund(world, tmp_path):
    drop = await open_drop(world.core, tier(stock=2))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    await world.core.payments.settle(PaymentReceived("pi_odd", "stripe", hold.id, Money(1, "EUR")))
    url = world.app.settings.database_url
    listed = await asyncio.to_thread(dropcast, tmp_path, "order", "list", DATABASE_URL=url)
    assert listed.returncode == 0, listed.stderr
    assert "flagged" in listed.stdout
    assert "Flagged (paid an amount that is not the price, not fulfilled): 1." in listed.stdout
    refund = await asyncio.to_thread(dropcast, tmp_path, "order", "refund", "1", DATABASE_URL=url)
    assert refund.returncode == 0, refund.stderr
    assert "order #1: Winter drop / Signed print, 0.01 EUR, refund_pending" in refund.stdout


async def test_fan_show_finds_a_linked_fan_by_either_platform(world, tmp_path):
    kept = await fan_for(Platform.TELEGRAM, "2002", "Ada")
    merged = await fan_for(Platform.DISCORD, "5001", "ada")
    drop = await open_drop(world.core, tier(stock=2))
    hold = await world.core.holds.reserve(drop.tiers[0].id, merged)
    await world.core.payments.settle(PaymentReceived("pi_ada", "stripe", hold.id, hold.price))
    await world.core.account_linking.redeem(await world.core.account_linking.issue(kept), merged)
    url = world.app.settings.database_url
    for who in ("discord:5001", "telegram:2002", str(kept)):
        shown = await asyncio.to_thread(dropcast, tmp_path, "fan", "show", who, DATABASE_URL=url)
        assert shown.returncode == 0, shown.stderr
        assert f"Fan #{kept} Ada" in shown.stdout
        assert "discord: 5001" in shown.stdout
        assert "telegram: 2002" in shown.stdout
        assert "You are a supporter, with 70 points." in shown.stdout
    missing = await asyncio.to_thread(
        dropcast, tmp_path, "fan", "show", "discord:9", DATABASE_URL=url
    )
    assert missing.returncode == 1
    assert "no fan matches 'discord:9'" in missing.stderr


def test_a_creator_runs_a_live_session_from_the_command_line(tmp_path):
    listed = dropcast(tmp_path, "live", "communities")
    assert "None connected yet" in listed.stdout
    planned = dropcast(tmp_path, "live", "schedule", "Friday listening", "--starts-at", "+1h")
    assert planned.returncode == 0, planned.stderr
    assert "#1 Friday listening: scheduled" in planned.stdout
    assert "30 min" in planned.stdout
    ended_early = dropcast(tmp_path, "live", "end", "1")
    assert ended_early.returncode == 1
    assert "session #1 is scheduled, not live" in ended_early.stderr
    assert "live" in dropcast(tmp_path, "live", "start", "1").stdout
    again = dropcast(tmp_path, "live", "start", "1")
    assert "session #1 is live, not scheduled" in again.stderr
    ended = dropcast(tmp_path, "live", "end", "1")
    assert "listeners 0, minutes listened 0, live-code claims 0, orders during 0" in ended.stdout
    late = dropcast(tmp_path, "live", "schedule", "Past", "--starts-at", "2020-01-01T10:00+00:00")
    assert late.returncode == 1
    assert "future time" in late.stderr


async def test_a_creator_runs_a_post_live_ab_campaign_from_the_command_line(world, tmp_path):
    drop = await open_drop(world.core, tier(stock=20))
    listeners = await fans(12)
    await Fan.filter(id__in=listeners).update(dm_opt_in=True)
    session = await world.core.live.schedule("Friday", world.clock.now() + timedelta(minutes=1))
    world.clock.advance(minutes=1)
    await world.core.live.start(session.id)
    for fan in listeners:
        await world.core.attendance.check_in(fan)
    buyer = listeners[0]
    hold = await world.core.holds.reserve(drop.tiers[0].id, buyer)
    await world.core.payments.settle(PaymentReceived("pi_live", "sandbox", hold.id, hold.price))
    await world.core.live.end(session.id)
    url = world.app.settings.database_url

    async def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(dropcast, tmp_path, "campaign", *args, DATABASE_URL=url)

    segment = ["--to", f"listened={session.id} not_bought={drop.id}"]
    shown = await cli("preview", *segment)
    assert f"listened={session.id} not_bought={drop.id}: 11 fans, 11 of them said yes" in (
        shown.stdout
    )
    typo = await cli("create", "Oops", "--text", "Hi {fan}", *segment)
    assert typo.returncode == 1
    assert "unknown variable {fan}" in typo.stderr
    bad = await cli("preview", "--to", "colour=red")
    assert (bad.returncode, bad.stderr.strip()) == (
        1,
        "dropcast: 'colour=red' is not a filter "
        "(known: abandoned, bought, bought_within, lapsed, listened, not_bought, platform, tier)",
    )
    made = await cli(
        "create", "After the show", *segment, "--drop", str(drop.id),
        "--when", f"after session {session.id} +15m",
        "--text", "Only a few left, {name}: {link}", "--text", "{name}, yours? {link}",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert f"15 min after session #{session.id} ends" in made.stdout
    # the session ended long before the real clock of the CLI: queued at once; sent at noon
    world.clock.set(datetime.now(UTC).replace(hour=12, minute=0) + timedelta(days=1))
    while await world.core.outbox.drain(Platform.SANDBOX):
        pass
    dm = next(m for m in world.messenger.to(listeners[1]) if isinstance(m, CampaignDM))
    assert dm.url is not None
    await world.core.short_links.follow(dm.url.rsplit("/", 1)[1])
    hold = await world.core.holds.reserve(drop.tiers[0].id, listeners[1])
    await world.core.payments.settle(PaymentReceived("pi_dm", "sandbox", hold.id, hold.price))
    report = await cli("show", "1")
    assert report.returncode == 0, report.stderr
    lines = report.stdout.splitlines()
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in lines if "│ " in line]
    assert [row[0] for row in rows] == ["A", "B"]
    assert sum(int(row[1]) for row in rows) == 11  # sent, across A and B
    assert ["1", "1", "25.00 EUR"] in [row[5:] for row in rows]  # the tap, then the order
    assert "Bought after the DM: A " in report.stdout  # each variant's rate and interval
    assert "Not enough data yet: about" in report.stdout


async def test_stats_lag_shows_minutes_from_going_live_to_paid(world, tmp_path):
    drop = await open_drop(world.core, tier(stock=5))
    session = await world.core.live.schedule("Friday", world.clock.now() + timedelta(minutes=1))
    world.clock.advance(minutes=1)
    await world.core.live.start(session.id)
    for fan, minutes in zip(await fans(2), (3, 9), strict=True):
        world.clock.advance(minutes=minutes)
        hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
        await world.core.payments.settle(PaymentReceived(f"pi_{fan}", "x", hold.id, hold.price))
    url = world.app.settings.database_url

    async def stats(*args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(dropcast, tmp_path, "stats", "lag", *args, DATABASE_URL=url)

    shown = await stats("--session", str(session.id))
    assert shown.returncode == 0, shown.stderr
    assert "2 paid orders; median 3 min, 90% within 12 min" in shown.stdout
    as_json = json.loads((await stats("--drop", str(drop.id), "--json")).stdout)
    assert as_json["orders"] == 2
    missing = await stats("--session", "9")
    assert (missing.returncode, missing.stderr.strip()) == (
        1,
        "dropcast: there is no live session #9",
    )


async def test_stats_buyers_shows_the_repeat_rate_and_cohorts(world, tmp_path):
    drop = await open_drop(world.core, tier(stock=5, limit=2))
    first, second = await fans(2)
    for fan in (first, first, second):
        hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
        paid = PaymentReceived(f"pi_{hold.id}", "x", hold.id, hold.price)
        await world.core.payments.settle(paid)
    url = world.app.settings.database_url
    shown = await asyncio.to_thread(dropcast, tmp_path, "stats", "buyers", DATABASE_URL=url)
    assert shown.returncode == 0, shown.stderr
    assert "1 of 2 buyers bought again (50%)" in shown.stdout
    assert "2025-12-29" in shown.stdout  # the week of the test clock's first orders
    assert "37.50 EUR" in shown.stdout  # 75.00 over 2 fans, all windows over by now
    listed = await asyncio.to_thread(dropcast, tmp_path, "stats", "drops", DATABASE_URL=url)
    assert listed.returncode == 0, listed.stderr
    assert "#1 Winter drop" in listed.stdout
    assert "3/5 (60%)" in listed.stdout


async def test_a_fan_is_exported_and_forgotten_only_when_the_creator_confirms(world, tmp_path):
    fan = await fan_for(Platform.TELEGRAM, "777", "Grace")
    url = world.app.settings.database_url

    async def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(dropcast, tmp_path, *args, DATABASE_URL=url)

    exported = json.loads((await cli("fan", "export", "telegram:777")).stdout)
    assert exported["fan"]["name"] == "Grace"
    assert json.loads((await cli("export", str(fan))).stdout) == exported  # the short name
    unconfirmed = await cli("fan", "forget", str(fan))
    assert unconfirmed.returncode == 2
    assert "run again with --yes" in unconfirmed.stderr
    assert (await Fan.get(id=fan)).display_name == "Grace"  # nothing happened
    assert "is forgotten" in (await cli("forget", str(fan), "--yes")).stdout
    assert (await Fan.get(id=fan)).display_name == "forgotten fan"


def test_demo_data_then_the_whole_report_in_the_terminal_as_json_and_as_csv(tmp_path):
    made = dropcast(tmp_path, "demo-data", "--fans", "1000", "--seed", "3")
    assert made.returncode == 0, made.stderr
    assert "1000 fans, 12 live sessions, 7 drops" in made.stdout
    again = dropcast(tmp_path, "demo-data")
    assert again.returncode == 1
    assert "already has fans" in again.stderr

    shown = dropcast(tmp_path, "stats")
    assert shown.returncode == 0, shown.stderr
    for section in ("Live sessions", "Drops", "Buyers and members", "Memberships",
                    "#1 Backstage club", "Blended attribution", "Recognition uplift", "A/B tests",
                    "Weights: live 2", "not proof"):  # fmt: skip
        assert section in shown.stdout
    assert "campaign #1 Sample pack launch" in shown.stdout

    data = json.loads(dropcast(tmp_path, "stats", "--json").stdout)
    assert data["repeat"]["buyers"] > 0
    assert data["attribution"]["weights"]["dm"] == 1.0
    assert data["tests"][0]["arms"][0]["label"] == "A"
    members = json.loads(dropcast(tmp_path, "stats", "members", "--json").stdout)["memberships"]
    assert members == data["memberships"]
    [eur] = members["mrr"]
    assert eur["currency"] == "EUR"
    assert eur["minor"] == 500 * eur["members"]  # the demo's plan: 5.00 EUR a month
    csv_dir = tmp_path / "csv"
    written = dropcast(tmp_path, "stats", "--csv", str(csv_dir))
    assert written.returncode == 0, written.stderr
    with (csv_dir / "drops.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert [row["title"] for row in rows][-1] == "Sample pack"
    assert {p.name for p in csv_dir.iterdir()} >= {"sessions.csv", "cohorts.csv", "tests.csv",
                                                   "mrr.csv", "member_months.csv"}  # fmt: skip


def test_dropcast_dashboard_prints_a_one_time_link(tmp_path):
    made = dropcast(tmp_path, "dashboard", PUBLIC_BASE_URL="https://drops.example")
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("https://drops.example/dashboard/enter/")


async def test_a_refund_without_a_stripe_key_waits_and_tells_the_fan_nothing(world, tmp_path):
    """Invariant 9: no stand-in refunds the money in production; the order waits, with why."""
    drop = await open_drop(world.core, tier(stock=2))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    await world.core.payments.settle(PaymentReceived("pi_paid", "stripe", hold.id, hold.price))
    url = world.app.settings.database_url
    refund = await asyncio.to_thread(dropcast, tmp_path, "order", "refund", "1", DATABASE_URL=url)
    assert refund.returncode == 0, refund.stderr
    assert "order #1: Winter drop / Signed print, 25.00 EUR, refund_pending" in refund.stdout
    assert "The money has not moved yet: STRIPE_SECRET_KEY is not set." in refund.stdout
    assert "event_handler_failed" not in refund.stdout + refund.stderr  # nothing sent to tell
    order = await Order.get(id=1)
    assert (order.status, order.refund_reason) == (
        OrderStatus.REFUND_PENDING,
        "refunded by the creator",
    )
    listed = await asyncio.to_thread(dropcast, tmp_path, "order", "list", DATABASE_URL=url)
    assert "refund_pending" in listed.stdout
    assert "Refund pending (the money has not moved yet): 1. STRIPE_SECRET_KEY is not set." in (
        listed.stdout
    )


def test_the_sandbox_plays_in_process_even_with_tokens_and_a_stripe_key_set(tmp_path):
    """The sandbox passes its memory adapters for every port: set tokens or keys never make
    it post to a platform or open a Checkout (every one here points at a closed port)."""
    closed = "http://127.0.0.1:9"
    result = dropcast(
        tmp_path,
        *("sandbox", "--fans", "80", "--units", "20", "--seconds", "0", "--seed", "3"),
        TELEGRAM_TOKEN=SECRET,
        TELEGRAM_API_BASE_URL=closed,
        STRIPE_SECRET_KEY="sk_test_" + "x" * 24,
        STRIPE_API_BASE=closed,
        PUBLIC_BASE_URL=closed,
    )
    assert result.returncode == 0, result.stderr
    assert summary_rows(result.stdout)["oversold"] == "0"
    assert "event_handler_failed" not in result.stdout + result.stderr
