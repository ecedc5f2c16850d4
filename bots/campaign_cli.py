"""`dropcast campaign …`: DM campaigns, from a segment's preview to the report."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from adapters import wording
from bots.bootstrap import App
from bots.wired import with_app
from core.campaigns.planner import CampaignView, Preview
from core.campaigns.report import CampaignReport, report
from core.campaigns.segments import Segment
from core.models import Automatic
from core.times import parse_when

app = typer.Typer(help="DM campaigns to segments of fans.", no_args_is_help=True)
out = Console(highlight=False)

Listened = Annotated[int | None, typer.Option(help="Fans who were at live session #N.")]
NotBought = Annotated[int | None, typer.Option(help="Fans with no paid order from drop #N.")]
Bought = Annotated[int | None, typer.Option(help="Fans who bought from drop #N.")]
BoughtWithin = Annotated[int | None, typer.Option(help="Fans who bought in the last N days.")]
Abandoned = Annotated[int | None, typer.Option(help="Fans who let a hold on drop #N lapse.")]
Tier = Annotated[str | None, typer.Option(help="Fans at this tier or above.")]
Lapsed = Annotated[int | None, typer.Option(help="Buyers with no order for N days.")]
OnPlatform = Annotated[str | None, typer.Option(help="Fans on telegram or discord.")]


def _segment(
    listened: int | None,
    not_bought: int | None,
    bought: int | None,
    bought_within: int | None,
    abandoned: int | None,
    tier: str | None,
    lapsed: int | None,
    platform: str | None,
) -> Segment:
    return Segment(listened, not_bought, bought, bought_within, abandoned, tier, lapsed, platform)


@app.command()
def preview(
    listened: Listened = None,
    not_bought: NotBought = None,
    bought: Bought = None,
    bought_within: BoughtWithin = None,
    abandoned: Abandoned = None,
    tier: Tier = None,
    lapsed: Lapsed = None,
    platform: OnPlatform = None,
) -> None:
    """How many fans a segment holds (and how many said yes to DMs), before sending."""
    segment = _segment(listened, not_bought, bought, bought_within, abandoned, tier, lapsed,
                       platform)  # fmt: skip
    shown: Preview = with_app(lambda wired: wired.core.campaigns.preview(segment))
    out.print(f"{segment.describe()}: {shown.size} fans, {shown.opted_in} of them said yes to DMs")
    if shown.sample:
        out.print("For example: " + ", ".join(shown.sample), markup=False)


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="For you, in reports.")],
    text: Annotated[
        list[str],
        typer.Option(
            help="The message; twice or more for an A/B test. {name} {drop} {countdown} {link}."
        ),
    ],
    drop: Annotated[int | None, typer.Option(help="The drop {drop} and {link} name.")] = None,
    url: Annotated[str, typer.Option(help="Where {link} leads instead of the drop.")] = "",
    at: Annotated[str | None, typer.Option(help="Send at (ISO 8601 or +2h); default now.")] = None,
    after_session: Annotated[
        int | None, typer.Option(help="Send after live session #N ends...")
    ] = None,
    minutes: Annotated[int, typer.Option(help="...this many minutes after its end.")] = 15,
    listened: Listened = None,
    not_bought: NotBought = None,
    bought: Bought = None,
    bought_within: BoughtWithin = None,
    abandoned: Abandoned = None,
    tier: Tier = None,
    lapsed: Lapsed = None,
    platform: OnPlatform = None,
) -> None:
    """Make a campaign: sent now, at a time, or some minutes after a live session ends."""
    segment = _segment(listened, not_bought, bought, bought_within, abandoned, tier, lapsed,
                       platform)  # fmt: skip

    async def make(wired: App) -> CampaignView:
        zone, now = wired.settings.creator_timezone, wired.core.clock.now()
        send_at = parse_when(at, now=now, zone=zone) if at else None
        return await wired.core.campaigns.create(
            name, segment, text, drop_id=drop, url=url, send_at=send_at,
            after_session=after_session, after_minutes=minutes if after_session else 0,
        )  # fmt: skip

    _show(with_app(make))


@app.command(name="list")
def listing() -> None:
    """Every campaign, newest first."""
    for campaign in with_app(lambda wired: wired.core.campaigns.listing()):
        _show(campaign)


@app.command()
def show(campaign_id: int) -> None:
    """Per variant: sent, queued, skipped by reason, failed, taps, orders and revenue."""
    _report(with_app(lambda wired: report(wired.core.campaigns, campaign_id)))


@app.command()
def cancel(campaign_id: int) -> None:
    """Stop sending: what is still queued is skipped."""
    _show(with_app(lambda wired: wired.core.campaigns.cancel(campaign_id)))


@app.command()
def auto(
    kind: Annotated[Automatic, typer.Argument(help="abandoned_hold or near_tier.")],
    text: Annotated[str | None, typer.Option(help="The message; {points} {tier} too.")] = None,
    off: Annotated[bool, typer.Option(help="Switch it off.")] = False,
) -> None:
    """Switch an automatic campaign on (with its message) or off: a nudge to fans who let a
    hold lapse while units remain, or who are a few points from the next tier."""
    if off == (text is not None):
        out.print("Give --text to switch it on, or --off.")
        raise typer.Exit(2)
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
