"""`dropcast notices …`: what changes owe fans and communities, and retrying what failed."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bots.bootstrap import App
from bots.cli import MAX_ID
from bots.wired import with_app
from core.kinds import NoticeStatus
from core.notices import NoticeLine

app = typer.Typer(
    help="Messages, post edits, pay links and perk changes owed: see them, retry failed ones."
)
out = Console(highlight=False)


@app.callback(invoke_without_command=True)
def show(
    context: typer.Context,
    status: Annotated[
        NoticeStatus, typer.Option(help="Which to list under the counts.")
    ] = NoticeStatus.FAILED,
) -> None:
    """How many notices are queued, sending, sent and failed, and the latest in STATUS
    with why (failed ones: what the platform said on the last attempt)."""
    if context.invoked_subcommand is not None:
        return

    async def seen(wired: App) -> tuple[dict[str, int], list[NoticeLine]]:
        return await wired.core.notices.counts(), await wired.core.notices.lines(status)

    counts, lines = with_app(seen)
    out.print(", ".join(f"{counts.get(s.value, 0)} {s.value}" for s in NoticeStatus))
    if not lines:
        out.print(f"No {status.value} notices.")
        return
    table = Table("id", "what", "after", "attempts", "created", "next try", "why")
    for line in lines:
        table.add_row(
            str(line.id), line.subscriber, line.kind, str(line.attempts),
            f"{line.created_at:%Y-%m-%d %H:%M:%S}",
            f"{line.due_at:%H:%M:%S}" if line.status == "queued" else "-",
            line.reason or "-",
        )  # fmt: skip
    out.print(table)


@app.command()
def retry(
    ids: Annotated[
        list[int] | None,
        typer.Argument(min=1, max=MAX_ID, show_default=False, help="Failed notices' ids."),
    ] = None,
    every_failed: Annotated[bool, typer.Option("--all", help="Every failed notice.")] = False,
) -> None:
    """Try failed notices again now, with their attempts renewed (after fixing what the
    reason said: a bot removed from a chat, a missing permission, an outage)."""
    if not ids and not every_failed:
        out.print("Name the failed notices to retry (dropcast notices lists them), or --all.")
        raise typer.Exit(1)

    async def retried(wired: App) -> tuple[list[int], dict[str, int]]:
        found = await wired.core.notices.retry(None if every_failed else ids)
        return found, await wired.core.notices.counts()

    found, counts = with_app(retried)
    missing = sorted(set(ids or []) - set(found))
    if missing:
        out.print("Not failed, or no such notice: " + ", ".join(f"#{n}" for n in missing))
    out.print(
        f"Retried {len(found)}; now {counts.get('failed', 0)} failed, "
        f"{counts.get('queued', 0)} queued."
    )
    if missing and not found:
        raise typer.Exit(1)
