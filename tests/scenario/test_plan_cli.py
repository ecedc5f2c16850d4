"""`dropcast plan …` as a creator uses it: real process, real database, exit codes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.kinds import Platform
from core.memberships.plans import PlanSpec
from core.memberships.states import Snapshot
from core.money import parse_price
from tests.builders import fans
from tests.databases import migrated_sqlite
from tests.scenario.dropcast_process import CLI_DATABASE, dropcast


@pytest.fixture(autouse=True)
def _migrated(tmp_path: Path) -> None:
    migrated_sqlite(tmp_path / CLI_DATABASE)


def test_a_creator_creates_lists_shows_and_archives_a_plan(tmp_path):
    assert "No plans yet" in dropcast(tmp_path, "plan", "list").stdout
    created = dropcast(
        tmp_path, "plan", "create", "Backstage club", "--price", "5.00 EUR", "--stars", "250",
        "--trial-days", "7", "--early-access", "30",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "#1 Backstage club  on sale" in created.stdout
    assert "5.00 EUR / month (Stripe)" in created.stdout
    assert "250 XTR / 30 days" in created.stdout
    assert "7 days" in created.stdout
    assert "30 min before a drop opens" in created.stdout
    yearly = dropcast(
        tmp_path, "plan", "create", "Patrons", "--price", "12000 JPY", "--period", "yearly"
    )
    assert yearly.returncode == 0, yearly.stderr
    assert "12000 JPY / year" in yearly.stdout
    listed = dropcast(tmp_path, "plan", "list")
    assert listed.returncode == 0, listed.stderr
    assert "Backstage club" in listed.stdout
    assert "Patrons" in listed.stdout
    assert listed.stdout.count("on sale") == 2
    shown = dropcast(tmp_path, "plan", "show", "2")
    assert "#2 Patrons  on sale" in shown.stdout
    assert "members       none" in shown.stdout
    archived = dropcast(tmp_path, "plan", "archive", "1")
    assert archived.returncode == 0, archived.stderr
    assert "#1 Backstage club  archived" in archived.stdout
    again = dropcast(tmp_path, "plan", "archive", "1")
    assert again.returncode == 1
    assert again.stderr.strip() == "dropcast: plan #1 'Backstage club' is archived already"
    assert "archived" in dropcast(tmp_path, "plan", "list").stdout
    # its name is free again
    anew = dropcast(tmp_path, "plan", "create", "backstage club", "--price", "6.00 EUR")
    assert anew.returncode == 0, anew.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--price", "9,99 EUR"], 1, "write prices with a dot: 9.99 EUR"),
        (["--price", "5.001 EUR"], 1, "it would have to be rounded"),
        (["--price", "0 EUR"], 1, "the price must be above zero"),
        (["--price", "250 XTR"], 1, "give a Telegram Stars price as stars"),
        (["--price", "5 EUR", "--period", "weekly"], 1, "period 'weekly' is not monthly or"),
        (["--price", "5 EUR", "--stars", "20000"], 1, "must be between 1 and 10000"),
        (["--price", "5 EUR", "--trial-days", "91"], 1, "trial days must be between 0 and 90"),
        (["--price", "5 EUR", "--early-access", "-1"], 1, "early access minutes must be"),
        (["--price", "5 EUR", "--perk", "vip"], 1, "there is no perk called 'vip'"),
        (["--price", "5 EUR", "--stars", "many"], 2, "Invalid value for '--stars'"),
        ([], 2, "Missing option '--price'"),
    ],
)
def test_bad_plan_arguments_are_one_line_and_create_nothing(tmp_path, args, code, message):
    result = dropcast(tmp_path, "plan", "create", "Club", *args)
    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "No plans yet" in dropcast(tmp_path, "plan", "list").stdout


def test_an_unknown_plan_is_named_and_a_taken_name_refused(tmp_path):
    missing = dropcast(tmp_path, "plan", "show", "42")
    assert missing.returncode == 1
    assert "there is no plan #42" in missing.stderr
    assert dropcast(tmp_path, "plan", "create", "Club", "--price", "5 EUR").returncode == 0
    taken = dropcast(tmp_path, "plan", "create", "CLUB", "--price", "5 USD")
    assert taken.returncode == 1
    assert "a plan called 'Club' is on sale already (#1)" in taken.stderr
    assert dropcast(tmp_path, "plan", "show", "0").returncode == 2  # not an id


async def test_a_plan_shows_its_perks_and_its_members_by_state(world, tmp_path):
    await world.core.perks.register("backstage", "Backstage", Platform.TELEGRAM, "-100", "-100")
    url = world.app.settings.database_url
    created = await asyncio.to_thread(
        dropcast, tmp_path, "plan", "create", "Club", "--price", "5.00 EUR",
        "--perk", "backstage", DATABASE_URL=url,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "backstage" in created.stdout
    other = await world.core.plans.create(PlanSpec("Tips", parse_price("1.00 EUR")))
    now = world.clock.now()
    period = dict(started_at=now, current_period_start=now, current_period_end=now + timedelta(30))
    statuses = ["active", "active", "past_due", "canceled"]
    for n, (fan, status) in enumerate(zip(await fans(4), statuses, strict=True)):
        snapshot = Snapshot(status, as_of=now, **period)  # type: ignore[arg-type]
        await world.core.memberships.record(fan, 1, "stripe", f"sub_{n}", snapshot)
    shown = await asyncio.to_thread(dropcast, tmp_path, "plan", "show", "1", DATABASE_URL=url)
    assert shown.returncode == 0, shown.stderr
    assert "members       2 active, 1 past_due" in shown.stdout
    listed = await asyncio.to_thread(dropcast, tmp_path, "plan", "list", DATABASE_URL=url)
    assert f"│ {other.id}  │ Tips" in listed.stdout
    assert "│ 3 " in listed.stdout  # three members of Club whose membership has not ended


async def test_the_access_report_exits_1_while_there_is_something_to_look_at(world, tmp_path):
    await world.core.perks.register("lapsed", "Come back", Platform.TELEGRAM, "-100", "-100")
    url = world.app.settings.database_url
    created = await asyncio.to_thread(
        dropcast, tmp_path, "plan", "create", "Club", "--price", "5.00 EUR",
        "--lapsed-perk", "lapsed", DATABASE_URL=url,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "when lapsed   lapsed" in created.stdout
    clean = await asyncio.to_thread(dropcast, tmp_path, "plan", "report", DATABASE_URL=url)
    assert clean.returncode == 0, clean.stderr
    assert "Every perk matches what is paid for" in clean.stdout
    [fan] = await fans(1)
    ended = datetime.now(UTC) - timedelta(days=2)  # the CLI reads the time of day
    began = ended - timedelta(days=30)
    quiet = Snapshot("active", as_of=began, started_at=began, current_period_start=began,
                     current_period_end=ended)  # fmt: skip
    await world.core.memberships.record(fan, 1, "stripe", "sub_1", quiet)
    found = await asyncio.to_thread(dropcast, tmp_path, "plan", "report", DATABASE_URL=url)
    assert found.returncode == 1, found.stderr
    assert "webhooks quiet" in found.stdout
    assert "1 to look at." in found.stdout
