"""`dropcast live …`: the creator's live audio sessions."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from adapters import wording
from bots.bootstrap import App
from bots.cli import MAX_ID, RecordId
from bots.wired import with_app
from core.live.summary import LiveSummary
from core.live.views import LiveView
from core.models import Community
from core.times import parse_when

app = typer.Typer(help="Schedule and run live audio sessions.", no_args_is_help=True)
out = Console(highlight=False)


@app.command()
def schedule(
    title: Annotated[str, typer.Argument(help="What fans see, e.g. 'Friday listening'.")],
    starts_at: Annotated[str, typer.Option(help="ISO 8601 (2026-12-04T20:00+01:00) or +2h.")],
    minutes: Annotated[int, typer.Option(help="Planned length.")] = 30,
    drop: Annotated[
        int | None, typer.Option(min=1, max=MAX_ID, help="The drop the session features.")
    ] = None,
    community: Annotated[
        list[int] | None,
        typer.Option(
            min=1,
            max=MAX_ID,
            help="Announce only here (repeat it); `dropcast live communities` lists them.",
        ),
    ] = None,
) -> None:
    """Plan a session, announced in every connected community unless --community says."""

    async def action(wired: App) -> LiveView:
        now, zone = wired.core.clock.now(), wired.settings.creator_timezone
        starts = parse_when(starts_at, now=now, zone=zone)
        return await wired.core.live.schedule(
            title, starts, minutes=minutes, drop_id=drop, communities=community
        )

    _show(with_app(action))


@app.command()
def communities() -> None:
    """The connected channels, groups and servers, with the numbers --community takes."""

    async def listed(_: App) -> list[tuple[int, str, str]]:
        return list(await Community.all().order_by("id").values_list("id", "platform", "name"))

    rows = with_app(listed)
    for number, platform, name in rows:
        out.print(f"#{number} {platform}: {name}")
    if not rows:
        out.print("None connected yet (README: Connect Telegram, Connect Discord).")


@app.command()
def start(session_id: RecordId) -> None:
    """Go live: codes (/livecode) and check-ins count from now."""
    _show(with_app(lambda wired: wired.core.live.start(session_id)))


@app.command()
def end(session_id: RecordId) -> None:
    """End the session and see what it did."""
    _summary(with_app(lambda wired: wired.core.live.end(session_id)))


@app.command()
def cancel(session_id: RecordId) -> None:
    """Call off a session that has not started."""
    _show(with_app(lambda wired: wired.core.live.cancel(session_id)))


@app.command()
def show(session_id: RecordId) -> None:
    """What a session did so far (orders count for 24 hours after its end)."""
    _summary(with_app(lambda wired: wired.core.live.summary(session_id)))


def _show(session: LiveView) -> None:
    drop = f", featuring drop #{session.drop_id}" if session.drop_id else ""
    out.print(
        f"#{session.id} {session.title}: {session.status}, starts "
        f"{session.starts_at:%Y-%m-%d %H:%M} UTC, {session.planned_minutes} min{drop}"
    )


def _summary(summary: LiveSummary) -> None:
    out.print(wording.live_summary_text(summary))
