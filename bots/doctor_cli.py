"""`dropcast doctor`: one command a creator runs before a drop. A checklist, each
failing line with its fix under it; exit 1 when something would break a drop (warnings do
not), `--json` for scripts. Secrets are never shown: no check puts one in its text."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from bots.cli import REFUSED, run_async, settings
from core.doctor import Check, Severity

out = Console(highlight=False, soft_wrap=True)  # a fix stays on its one line


def register(app: typer.Typer) -> None:
    app.command()(doctor)


def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object, for scripts.")] = False,
) -> None:
    """Check what a drop needs, against the real services: tokens, the bot's rights in each
    server and chat, Stripe's webhook endpoint, PUBLIC_BASE_URL and the database."""
    from bots.doctor.checklist import checklist  # every platform's library: loaded here only

    checks = run_async(checklist(settings()))
    ok = not any(check.breaks_a_drop for check in checks)
    if as_json:
        typer.echo(json.dumps({"ok": ok, "checks": [asdict(check) for check in checks]}))
    else:
        for check in checks:
            out.print(_line(check))
    if not ok:
        raise typer.Exit(REFUSED)


def _line(check: Check) -> str:
    mark = (
        "[dim]-[/]" if check.skipped
        else "[green]✓[/]" if check.ok
        else "[yellow]![/]" if check.severity == Severity.WARNING
        else "[red]✗[/]"
    )  # fmt: skip
    line = f"{mark} {escape(check.name)}: {escape(check.detail)}"
    return f"{line}\n    fix: {escape(check.fix)}" if check.fix else line
