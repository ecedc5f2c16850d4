"""Issue 17: whatever a creator types or sets wrong, every `dropcast` command answers with
one line on stderr saying what is wrong and what to do, exits non-zero, and changes
nothing: no row, no schema, no traceback. Commands run in-process on the real root command
(typer's CliRunner), a few as real processes to cover the entry point itself."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import structlog
import typer
from typer.testing import CliRunner, Result

from bots.bootstrap import bootstrap
from bots.cli import OneLineErrors, root_command, settings
from bots.database import database
from config import load_settings
from tests import databases
from tests.builders import fans, open_drop, tier
from tests.scenario.dropcast_process import SECRET, dropcast
from tests.unit.state import database_state

PRINT = "name=Print, price=9.99 EUR, stock=5, kind=physical"
TOO_BIG = "99999999999999999999"  # past SQLite's 64 bits, let alone PostgreSQL's INT
PASSWORD = "s3cret-db-password"


@pytest.fixture(autouse=True)
def _logging_put_back() -> Iterator[None]:
    """Each command configures structlog onto the runner's stderr; put it back after."""
    yield
    structlog.reset_defaults()


def cli(*args: str, **env: str) -> Result:
    """`dropcast ARGS` in this process, with only the settings given (and the folder's)."""
    return CliRunner().invoke(root_command(), list(args), env={"COLUMNS": "80", **env})


def refused(result: Result, *words: str, code: int | None = None) -> str:
    """The one stderr line of a refusal, checked to hold `words`."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert isinstance(result.exception, SystemExit), result.exception  # not a crash
    assert result.exit_code != 0, result.stdout
    assert code is None or result.exit_code == code, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("dropcast: ")
    for word in words:
        assert word in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    return lines[0]


def snapshot(url: str) -> dict[str, list[dict[str, Any]]]:
    async def read() -> dict[str, list[dict[str, Any]]]:
        async with database(url):
            return await database_state()

    return asyncio.run(read())


def busy_shop(url: str) -> None:
    """What a refusal must leave alone: a draft drop #1, an open drop #2, a fan's hold."""

    async def make() -> None:
        async with database(url):
            app = bootstrap(load_settings(database_url=url))
            await app.core.drops.create("Later", [tier()])
            drop = await open_drop(app.core)
            [fan] = await fans(1)
            await app.core.holds.reserve(drop.tiers[0].id, fan)
            await app.close()

    asyncio.run(make())


def sqlite_tables(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [row[0] for row in connection.execute("SELECT name FROM sqlite_master")]


BAD_ARGUMENTS = [
    (["drop", "show", TOO_BIG], "'drop_id'", "2147483647"),
    (["drop", "open", "2147483648"], "'drop_id'", "2147483647"),
    (["drop", "show", "0"], "'drop_id'", "greater than or equal to 1"),
    (["drop", "show", "abc"], "'drop_id'", "integer"),
    (["drop", "copy", TOO_BIG, "scarcity"], "'drop_id'"),
    (["order", "refund", "1e30"], "'order_id'", "integer"),
    (["order", "ship", "2147483648"], "'order_id'", "2147483647"),
    (["fan", "show", TOO_BIG], f"no fan matches '{TOO_BIG}'"),
    (["fan", "show", "myspace:5"], "no fan matches 'myspace:5'"),
    (["forget", TOO_BIG, "--yes"], "no fan matches"),
    (["live", "start", TOO_BIG], "'session_id'", "2147483647"),
    (["live", "schedule", "Fri", "--starts-at", "+1h", "--drop", TOO_BIG], "'--drop'"),
    (["live", "schedule", "Fri", "--starts-at", "+1h", "--community", TOO_BIG], "--community"),
    (["live", "schedule", "Fri", "--starts-at", "+1h", "--minutes", TOO_BIG], "5 to 240 minutes"),
    (["campaign", "show", TOO_BIG], "'campaign_id'"),
    (["campaign", "retry", TOO_BIG], "'campaign_id'"),
    (["campaign", "retry", "404"], "no campaign #404"),
    (["campaign", "create", "C", "--text", "hi", "--drop", TOO_BIG], "'--drop'"),
    (["campaign", "auto", "sometimes", "--off"], "'kind'", "abandoned_hold"),
    (["campaign", "auto", "near_tier"], "give --text to switch it on, or --off"),
    (["forget", "1"], "run again with --yes"),
    (
        ["drop", "create", "D", "--tier", "name=Print, price=9,99 EUR, stock=5, kind=physical"],
        "write prices with a dot: 9.99 EUR",
    ),
    (
        ["drop", "create", "D", "--tier", "name=Print, price=1,000 EUR, stock=5, kind=physical"],
        "without a thousands separator: 1000 EUR",
    ),
    (
        ["drop", "create", "D", "--tier", "name=Print, price=9.99 EUR, stock=99999999999999"],
        "stock must be between 1 and 1000000",
    ),
    (["drop", "create", "D", "--tier", PRINT, "--hold-minutes", str(10**12)], "hold minutes"),
    (["drop", "create", "D", "--tier", PRINT, "--hold-minutes", TOO_BIG], "between 1 and 1440"),
    (
        ["drop", "schedule", "1", "--opens-at", "+1h", "--early-access", "insider:" + TOO_BIG],
        "early access minutes must be between 1 and 10080",
    ),
    (["drop", "schedule", "1"], "Missing option", "--opens-at"),
    (["sandbox", "--fans", TOO_BIG], "'--fans'", "20000"),
    (["sandbox", "--fans", "-5"], "'--fans'", "greater than or equal to 1"),
    (["demo-data", "--fans", "10000000"], "'--fans'", "200000"),
    (["demo-data", "--weeks", "-1"], "'--weeks'"),
    (["link", "create", "ftp://example.com"], "is not a web address"),
    (["drop", "explode"], "No such command", "dropcast drop --help"),
    (["campaign", "preview", "--to", f"listened={TOO_BIG}"], "listened takes a number from 1"),
    (["campaign", "create", "C", "--text", "hi", "--to", "lapsed=99999"], "lapsed takes a number"),
    (["stats", "lag"], "give one of --session N or --drop N"),
    (["stats", "lag", "--session", TOO_BIG], "'--session'", "2147483647"),
    (["stats", "--csv", "/proc/dropcast"], "cannot write the CSV files into /proc/dropcast"),
    (["live", "schedule", "", "--starts-at", "+1h"], "a live session needs a title"),
    (["drop", "create", "D", "--tier", PRINT, "--description", "x" * 1001], "at most 1000"),
    (["drop", "schedule", "1", "--opens-at", "+99999999999d"], "more than ten years away"),
    (["drop", "schedule", "1", "--opens-at", "9999-12-31T23:59-14:00"], "outside the calendar"),
]


@pytest.mark.parametrize(
    ("argv", "words"),
    [pytest.param(argv, words, id=" ".join(argv)[:60]) for argv, *words in BAD_ARGUMENTS],
)
def test_a_bad_argument_gets_one_line_and_changes_nothing(database_url, argv, words):
    busy_shop(database_url)
    before = snapshot(database_url)
    refused(cli(*argv, DATABASE_URL=database_url), *words)
    assert snapshot(database_url) == before


BAD_SETTINGS = [
    (
        {".env": "DASHBORD_PASSWORD=x\n"},
        {},
        "setting DASHBORD_PASSWORD in .env is not a Dropcast setting "
        "(did you mean DASHBOARD_PASSWORD?)",
    ),
    ({".env": f"TELEGRAM_TOKEN {SECRET}\n"}, {}, "line 1 of .env is not NAME=value"),
    ({".env": "DROPCAST_CONFIG=my.toml\n"}, {}, "DROPCAST_CONFIG in .env is not read from there"),
    (
        {"config/dropcast.toml": "prot = 8080\n"},
        {},
        "setting prot in config/dropcast.toml is not a Dropcast setting (did you mean port?)",
    ),
    (
        {"config/dropcast.toml": "port =\n"},
        {},
        "config file config/dropcast.toml is not valid TOML: Invalid value (at line 1",
    ),
    ({"config/dropcast.toml": "port = 'abc'\n"}, {}, "setting PORT", "valid integer"),
    ({"config/dropcast.toml": "port = 99999\n"}, {}, "setting PORT", "65535"),
    (
        {"mine.toml": "quiet_hour = '22:00-08:00'\n"},
        {"DROPCAST_CONFIG": "mine.toml"},
        "setting quiet_hour in mine.toml is not a Dropcast setting (did you mean quiet_hours?)",
    ),
    ({}, {"DROPCAST_CONFIG": "missing.toml"}, "DROPCAST_CONFIG names missing.toml, which is not"),
    ({}, {"CREATOR_TIMEZONE": "Mars/Olympus"}, "CREATOR_TIMEZONE is not an IANA time zone"),
    ({}, {"DATABASE_URL": "mysql://localhost/x"}, "DATABASE_URL must start with sqlite://"),
    ({}, {"DATABASE_URL": "postgres://h:port/x"}, "DATABASE_URL is not a database address"),
    ({}, {"DATABASE_URL": "postgres://db.example"}, "DATABASE_URL needs a host and a database"),
    ({}, {"POINTS_FIRST_BUYER": "10000000000"}, "POINTS_FIRST_BUYER", "less than or equal"),
    ({}, {"ATTRIBUTION_DAYS": TOO_BIG}, "setting ATTRIBUTION_DAYS", "3650"),
    ({}, {"STRIPE_SECRET_KEY": "sk_test_x"}, "PUBLIC_BASE_URL is needed with STRIPE_SECRET_KEY"),
]


@pytest.mark.parametrize(("command"), [["drop", "list"], ["migrate"], ["clock"]])
@pytest.mark.parametrize(
    ("files", "env", "words"),
    [pytest.param(files, env, words, id=words[0][:50]) for files, env, *words in BAD_SETTINGS],
)
def test_a_bad_setting_gets_one_line_exit_2_and_no_database(
    tmp_path, monkeypatch, command, files, env, words
):
    monkeypatch.chdir(tmp_path)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    fresh = tmp_path / "data" / "fresh.sqlite3"
    result = cli(*command, **{"DATABASE_URL": f"sqlite://{fresh}", **env})
    line = refused(result, *words, code=2)
    assert SECRET not in line
    assert not fresh.parent.exists()


def test_the_example_settings_files_hold_only_settings(tmp_path, monkeypatch):
    examples = Path(__file__).parents[2] / "config"
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    (tmp_path / "config").mkdir()
    (tmp_path / ".env").write_text((examples / "env.example").read_text())
    toml = (examples / "dropcast.example.toml").read_text()
    (tmp_path / "config" / "dropcast.toml").write_text(toml)
    assert load_settings().database_url == "sqlite://data/dropcast.sqlite3"


@pytest.mark.parametrize("command", ["telegram", "discord"])
def test_a_token_set_to_nothing_is_not_set(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(f"{command.upper()}_TOKEN=\n")
    refused(cli(command), f"setting {command.upper()}_TOKEN is not set; nothing to start", code=2)


COMMANDS = [
    ["drop", "list"],
    ["drop", "show", "1"],
    ["drop", "create", "D", "--tier", PRINT],
    ["drop", "schedule", "1", "--opens-at", "+1h"],
    ["drop", "open", "1"],
    ["drop", "copy", "1", "scarcity"],
    ["order", "list"],
    ["order", "refund", "1"],
    ["fan", "show", "1"],
    ["export", "1"],
    ["forget", "1", "--yes"],
    ["live", "communities"],
    ["live", "schedule", "Fri", "--starts-at", "+1h"],
    ["live", "start", "1"],
    ["campaign", "preview"],
    ["campaign", "create", "C", "--text", "hi"],
    ["link", "create", "https://example.com"],
    ["popup", "staff-link", "1", "--name", "Sam"],
    ["popup", "pickups", "1"],
    ["stats"],
    ["stats", "lag", "--session", "1"],
    ["stats", "tokens"],
    ["token", "list"],
    ["dashboard"],
    ["demo-data", "--fans", "10", "--weeks", "2"],
    ["clock"],
    ["web"],
    ["telegram"],
    ["discord"],
    ["run"],
]
TOKENS = {"TELEGRAM_TOKEN": SECRET, "DISCORD_TOKEN": "discord-token-secret"}


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_only_migrate_creates_a_database(tmp_path, command):
    fresh = tmp_path / "fresh.sqlite3"
    url = f"sqlite://{fresh}"
    line = refused(cli(*command, DATABASE_URL=url, **TOKENS), code=2)
    assert line == (
        f"dropcast: the database (SQLite at {fresh}) is not set up: run `dropcast migrate` first"
    )
    assert not fresh.exists()
    assert SECRET not in line


@pytest.mark.parametrize("command", [["drop", "list"], ["clock"], ["demo-data"]], ids=" ".join)
def test_a_database_missing_its_latest_migrations_is_left_for_migrate(tmp_path, command):
    path = tmp_path / "behind.sqlite3"
    url = databases.migrated_sqlite(path)
    with sqlite3.connect(path) as connection:
        [(last,)] = connection.execute("SELECT max(id) FROM tortoise_migrations")
        connection.execute("DELETE FROM tortoise_migrations WHERE id = ?", (last,))
    before = sqlite_tables(path)
    refused(
        cli(*command, DATABASE_URL=url),
        f"the database (SQLite at {path}) has 1 migration not applied yet",
        "run `dropcast migrate` first",
        code=2,
    )
    assert sqlite_tables(path) == before
    with sqlite3.connect(path) as connection:
        assert (
            connection.execute("SELECT count(*) FROM tortoise_migrations").fetchone()[0] == last - 1
        )


@pytest.fixture(scope="module")
def empty_postgres(postgres_url: str | None) -> Iterator[str]:
    """A PostgreSQL database nobody migrated."""
    if postgres_url is None:
        pytest.skip("no PostgreSQL server answers on 127.0.0.1:5432")
    name = f"{databases.POSTGRES_DB}_empty"
    yield asyncio.run(databases.create_database(name))
    asyncio.run(databases.drop_database(name))


@pytest.mark.postgres
@pytest.mark.parametrize("command", [["drop", "list"], ["clock"], ["stats"]], ids=" ".join)
def test_a_postgresql_database_nobody_migrated_is_refused_and_stays_empty(empty_postgres, command):
    name = empty_postgres.rsplit("/", 1)[1]
    refused(cli(*command, DATABASE_URL=empty_postgres), f"5432/{name}) is not set up", code=2)

    async def tables() -> int:
        connection = await asyncpg.connect(empty_postgres)
        try:
            return int(
                await connection.fetchval(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                )
            )
        finally:
            await connection.close()

    assert asyncio.run(tables()) == 0


UNUSABLE = [
    (
        f"postgres://postgres:{PASSWORD}@127.0.0.1:5432/test?sslmod=disable",
        ["DATABASE_URL has an option the database driver does not take: 'sslmod'"],
    ),
    (
        f"postgres://postgres:{PASSWORD}@127.0.0.1:1/shop",
        ["cannot open the database (PostgreSQL 127.0.0.1:1/shop)", "check that PostgreSQL runs"],
    ),
    ("sqlite://{folder}", ["cannot open the database (SQLite at ", "unable to open"]),
    ("sqlite://{folder}/notes.sqlite3", ["file is not a database", "check that DATABASE_URL"]),
]


@pytest.mark.parametrize("command", [["migrate"], ["drop", "list"], ["web"]], ids=" ".join)
@pytest.mark.parametrize(("url", "words"), UNUSABLE, ids=[url for url, _ in UNUSABLE])
def test_a_database_that_cannot_be_opened_is_named_without_its_password(
    tmp_path, command, url, words
):
    notes = tmp_path / "notes.sqlite3"
    notes.write_text("shopping list\n")
    line = refused(cli(*command, DATABASE_URL=url.format(folder=tmp_path)), *words, code=2)
    assert PASSWORD not in line
    assert notes.read_text() == "shopping list\n"


def test_migrate_names_a_folder_it_cannot_make():
    refused(
        cli("migrate", DATABASE_URL="sqlite:///proc/dropcast/db.sqlite3"),
        "cannot open the database (SQLite at /proc/dropcast/db.sqlite3): [Errno 2] No such file",
        code=2,
    )


@pytest.mark.postgres
def test_a_postgresql_database_that_does_not_exist_is_named(postgres_url):
    if postgres_url is None:
        pytest.skip("no PostgreSQL server answers on 127.0.0.1:5432")
    url = f"{databases.POSTGRES_SERVER}/no_such_shop"
    for command in (["migrate"], ["drop", "list"]):
        refused(cli(*command, DATABASE_URL=url), 'database "no_such_shop" does not exist', code=2)


def test_a_taken_port_is_named(tmp_path):
    url = databases.migrated_sqlite(tmp_path / "shop.sqlite3")
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("web", DATABASE_URL=url, PORT=str(port), TELEGRAM_TOKEN=SECRET)
    refused(result, f"port {port} is in use", "set PORT to a free one", code=2)


@pytest.mark.parametrize(
    ("platform", "env", "argv"),
    [
        ("Discord", {"DISCORD_TOKEN": "x", "DISCORD_API_BASE_URL": "http://127.0.0.1:9/api"},
         ["discord", "sync"]),
        ("Telegram", {"TELEGRAM_TOKEN": SECRET, "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/b"},
         ["telegram"]),
    ],
)  # fmt: skip
def test_a_platform_that_does_not_answer_is_named(tmp_path, platform, env, argv):
    url = databases.migrated_sqlite(tmp_path / "shop.sqlite3")
    line = refused(cli(*argv, DATABASE_URL=url, **env), f"cannot reach {platform}", code=2)
    assert SECRET not in line


def test_an_unexpected_failure_is_one_line_and_its_traceback_goes_to_a_log_file():
    """A bug of ours in any command: the one line names the log file, which holds the
    traceback with secrets masked."""
    broken = typer.Typer(cls=OneLineErrors)

    @broken.callback()
    def root() -> None:
        """A root with commands, as `dropcast` is."""

    @broken.command()
    def crash() -> None:
        settings()  # as every command does first: logging then knows the secrets
        raise RuntimeError(f"a bug, with TELEGRAM_TOKEN={SECRET} in its message")

    result = CliRunner().invoke(broken, ["crash"], env={"TELEGRAM_TOKEN": SECRET})
    line = refused(result, "dropcast: unexpected error (RuntimeError); details in the log", code=1)
    log_file = Path(line.rsplit(" ", 1)[1])
    log = log_file.read_text()
    log_file.unlink()
    assert "Traceback" in log
    assert "a bug, with" in log
    assert SECRET not in log


def test_the_installed_command_answers_in_one_line_too(tmp_path):
    """The entry point itself, as a real process: a usage error, a refusal, a database."""
    for args, words in (
        (["drop", "show", TOO_BIG], "Invalid value for 'drop_id'"),
        (["drop", "create", "D", "--tier", "name=A, price=9,99 EUR, stock=1"], "9.99 EUR"),
        (["drop", "list"], "not set up"),
    ):
        done = dropcast(tmp_path, *args, DATABASE_URL=f"sqlite://{tmp_path / 'new.sqlite3'}")
        lines = done.stderr.splitlines()
        assert done.returncode != 0
        assert len(lines) == 1, done.stderr
        assert words in lines[0]
    assert not (tmp_path / "new.sqlite3").exists()
