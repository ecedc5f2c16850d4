"""The `dropcast` command: one entry point for every process and every creator command.

Whatever a person types or sets wrong is answered with one line on stderr, `dropcast: `
then what is wrong and how to fix it, and an exit code; never a traceback:

* 1: the request is refused (a bad price, no such drop, a drop already open); nothing
  changed;
* 2: the command cannot run as typed or configured: a usage error (a missing option, a
  number out of range), a setting, a database that does not answer or is not migrated;
* anything else is a bug of ours: one line naming the log file that holds its traceback,
  exit 1.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Coroutine
from functools import cache
from typing import Annotated, Any, NoReturn, TypeVar

import asyncpg
import structlog
import typer
import uvloop
from rich.console import Console
from structlog.processors import JSONRenderer
from tortoise.exceptions import OperationalError
from typer._click.core import Context
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from bots import database as db
from bots.logs import configure_logging
from config import Settings, SettingsError, load_settings
from core.errors import DropcastError

T = TypeVar("T")

REFUSED = 1
CANNOT_RUN = 2
# ids are INT columns (core/models): 32 bits on PostgreSQL, the narrower of the two databases
MAX_ID = 2**31 - 1
RecordId = Annotated[int, typer.Argument(min=1, max=MAX_ID, show_default=False)]


class OneLineErrors(TyperGroup):
    """The root command: every command runs inside its `invoke`, so whatever goes wrong in
    one, from parsing its arguments to its last query, is told here (module docstring)."""

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except NoArgsIsHelpError:
            raise  # typer shows the help
        except UsageError as error:
            where = error.ctx.command_path if error.ctx else "dropcast"
            fail(f"{error.format_message()} (see `{where} --help`)", CANNOT_RUN)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except DropcastError as error:
            fail(str(error), REFUSED)
        except (SettingsError, db.DatabaseUnavailable) as error:
            fail(str(error), CANNOT_RUN)
        except Exception as error:
            if _out_of_range(error):
                fail(f"a value given is out of range: {error}", REFUSED)
            _unexpected(error)


app = typer.Typer(
    name="dropcast",
    cls=OneLineErrors,
    help="Dropcast: live sessions, countdown drops and pay links for your community.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, soft_wrap=True)  # one line stays one line, whatever the width


def fail(message: str, code: int) -> NoReturn:
    typer.echo(f"dropcast: {message}", err=True)
    raise typer.Exit(code)


def _out_of_range(error: Exception) -> bool:
    """A value no check caught before it reached Python's limits or the database's: too
    large for a date or for SQLite's driver, refused by asyncpg for its column (an INT)."""
    return isinstance(error, OverflowError) or (
        isinstance(error, OperationalError) and isinstance(error.__cause__, asyncpg.DataError)
    )


def _unexpected(error: Exception) -> NoReturn:
    """A bug of ours rather than a mistake of the person's: the traceback goes to a file of
    its own and the terminal gets one line naming it. The file is written by the processors
    `settings()` configured (bots/logs.py formats the traceback, then masks secrets in it)
    with JSON in place of their terminal renderer. The message stays in the file: it may
    quote a token in a URL."""
    handle, path = tempfile.mkstemp(prefix="dropcast-error-", suffix=".log")
    *masking, _terminal = structlog.get_config()["processors"]
    with os.fdopen(handle, "w") as file:
        log = structlog.wrap_logger(
            structlog.PrintLogger(file),
            # formatting twice is harmless; it is needed when `settings()` never ran
            processors=[*masking, structlog.processors.format_exc_info, JSONRenderer()],
        )
        log.error("unexpected_error", exc_info=error)
    fail(f"unexpected error ({type(error).__name__}); details in the log {path}", REFUSED)


def settings() -> Settings:
    """The settings, with logging configured from them; a wrong one ends the command with
    one line (`OneLineErrors`)."""
    loaded = load_settings()
    configure_logging(loaded)
    return loaded


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop: its network and thread hand-offs (every database call) cost less than
    asyncio's own, about 10% more webhooks per second (bench/webhooks.py)."""
    return uvloop.new_event_loop()


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; what it raises is told by `OneLineErrors`."""
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(coro)


@app.command()
def migrate() -> None:
    """Apply the database migrations (safe to run on every deploy). The only command that
    changes the schema: the others refuse a database it has not brought up to date."""
    config = settings()
    run_async(db.migrate(config.database_url))
    err.print(f"database migrated: {db.describe(config.database_url)}", highlight=False)


@cache
def root_command() -> typer.Typer:
    """The root command with every command on it (imported here: they import this module)."""
    from bots import (
        campaign_cli,
        dashboard_cli,
        doctor_cli,
        drop_cli,
        drop_link_cli,  # noqa: F401  # its command joins `drop`
        fan_cli,
        link_cli,
        live_cli,
        notices_cli,
        order_cli,
        plan_cli,
        popup_cli,
        popup_staff_cli,  # noqa: F401  # its commands join `popup`
        processes,
        sandbox_cli,
        stats_cli,
        tap_stats_cli,  # noqa: F401  # its command joins `stats`
        token_cli,
        token_stats,  # noqa: F401  # its command joins `stats`
    )
    from bots.demo import cli as demo_cli

    app.add_typer(campaign_cli.app, name="campaign")
    app.add_typer(drop_cli.app, name="drop")
    app.add_typer(fan_cli.app, name="fan")
    app.command(name="export")(fan_cli.export)  # the same as `fan export` and `fan forget`
    app.command(name="forget")(fan_cli.forget)
    app.add_typer(link_cli.app, name="link")
    app.add_typer(live_cli.app, name="live")
    app.add_typer(notices_cli.app, name="notices")
    app.add_typer(order_cli.app, name="order")
    app.add_typer(plan_cli.app, name="plan")
    app.add_typer(popup_cli.app, name="popup")
    app.add_typer(stats_cli.app, name="stats")
    app.add_typer(token_cli.app, name="token")
    processes.register(app)
    sandbox_cli.register(app)
    demo_cli.register(app)
    dashboard_cli.register(app)
    doctor_cli.register(app)
    return app


def main() -> None:
    try:
        root_command()()
    except KeyboardInterrupt:
        sys.exit(130)
