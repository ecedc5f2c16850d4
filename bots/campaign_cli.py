"""`dropcast campaign …`: DM campaigns, from a segment's preview to the report."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from adapters import wording
from bots.bootstrap import App
from bots.cli import CANNOT_RUN, MAX_ID, RecordId, fail
from bots.wired import with_app
from core.campaigns import forms
from core.campaigns.planner import CampaignView, Preview
from core.campaigns.report import CampaignReport, report
from core.campaigns.segments import Segment
from core.kinds import Automatic

app = typer.Typer(help="DM campaigns to segments of fans.", no_args_is_help=True)
out = Console(highlight=False)

To = Annotated[
    str,
    typer.Option(
        help="Who: filters that must all hold, e.g. 'listened=3 not_bought=2' (empty: every "
        "fan). Filters: listened, not_bought, bought, bought_within, abandoned, tier, "
        "lapsed, platform."
    ),
]


@app.command()
def preview(to: To = "") -> None:
    """How many fans a segment holds (and how many said yes to DMs), before sending."""
    shown: Preview = with_app(lambda wired: wired.core.campaigns.preview(to))
    out.print(wording.preview_text(shown), markup=False)


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="For you, in reports.")],
    text: Annotated[
        list[str],
        typer.Option(
            help="The message; twice or more for an A/B test. {name} {drop} {countdown} {link}."
        ),
    ],
    to: To = "",
    when: Annotated[
        str, typer.Option(help="now, +2h, 2026-12-04T21:00+01:00, or 'after session 3 +15m'.")
    ] = "now",
    drop: Annotated[
        int | None, typer.Option(min=1, max=MAX_ID, help="The drop {drop} and {link} name.")
    ] = None,
    url: Annotated[
        str,
        typer.Option(help="Where {link} leads instead of the drop (join:PLAN: a join link each)."),
    ] = "",
) -> None:
    """Make a campaign: sent now, at a time, or some minutes after a live session ends (then
    {link} leads to the session's drop unless --drop or --url says otherwise)."""

    async def make(wired: App) -> CampaignView:
        zone, now = wired.settings.creator_timezone, wired.core.clock.now()
        schedule = forms.parse_schedule(when, now=now, zone=zone)
        return await wired.core.campaigns.create(
            name, Segment.from_words(to), text, drop_id=drop, url=url,
            send_at=schedule.send_at, after_session=schedule.after_session,
            after_minutes=schedule.after_minutes,
        )  # fmt: skip

    _show(with_app(make))


@app.command(name="list")
def listing() -> None:
    """Every campaign, newest first."""
    for campaign in with_app(lambda wired: wired.core.campaigns.listing()):
        _show(campaign)


@app.command()
def show(campaign_id: RecordId) -> None:
    """Per variant: sent, queued, skipped by reason, failed, taps, orders and revenue."""
    _report(with_app(lambda wired: report(wired.core.campaigns, campaign_id)))


@app.command()
def cancel(campaign_id: RecordId) -> None:
    """Stop sending: what is still queued is skipped."""
    _show(with_app(lambda wired: wired.core.campaigns.cancel(campaign_id)))


@app.command()
def retry(campaign_id: RecordId) -> None:
    """Send a campaign's failed DMs again: those an outage outlasted, and those interrupted
    by a stopped process (they may have arrived once already: `show` counts them)."""
    count = with_app(lambda wired: wired.core.campaigns.retry(campaign_id))
    dms = "DM" if count == 1 else "DMs"
    out.print(
        f"{count} failed {dms} of campaign #{campaign_id} queued again: the clock sends them."
    )


@app.command()
def auto(
    kind: Annotated[Automatic, typer.Argument(help="abandoned_hold or near_tier.")],
    text: Annotated[str | None, typer.Option(help="The message; {points} {tier} too.")] = None,
    off: Annotated[bool, typer.Option(help="Switch it off.")] = False,
) -> None:
    """Switch an automatic campaign on (with its message) or off: a nudge to fans who let a
    hold lapse while units remain, or who are a few points from the next tier."""
    if off == (text is not None):
        fail("give --text to switch it on, or --off", CANNOT_RUN)
    shown = with_app(lambda wired: wired.core.campaigns.switch(kind, None if off else text))
    if shown is None:
        out.print(f"{kind.value.replace('_', ' ')}: off")
    else:
        _show(shown)


def _show(campaign: CampaignView) -> None:
    out.print(wording.campaign_text(campaign), markup=False)


def _report(done: CampaignReport) -> None:
    _show(done.campaign)
    table = Table("variant", "sent", "queued", "skipped", "failed", "taps", "orders", "revenue")
    for line in done.variants:
        skipped = ", ".join(f"{n} {why}" for why, n in line.skipped.most_common()) or "0"
        failed = ", ".join(f"{n} {why}" for why, n in line.failed.most_common()) or "0"
        table.add_row(
            line.label, str(line.statuses["sent"]),
            str(line.statuses["queued"] + line.statuses["sending"]), skipped, failed,
            str(line.taps), str(line.orders), line.revenue_text or "-",
        )  # fmt: skip
    out.print(table)
    if (ab := done.ab_test()) is not None:
        out.print(wording.ab_text(ab), markup=False)
