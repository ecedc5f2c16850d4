"""`dropcast sandbox`: the rehearsal shown live in the terminal, then its summary."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bots.cli import run_async, settings
from bots.member_stats import print_members
from bots.sandbox import SandboxOptions, SandboxSummary, rehearse
from config import Settings
from core import events
from core.events import DomainEvent

out = Console(highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(sandbox)


def sandbox(
    fans: Annotated[int, typer.Option(min=1, max=20_000, help="Simulated fans.")] = 200,
    units: Annotated[int, typer.Option(min=1, max=10_000, help="Units for sale.")] = 50,
    seed: Annotated[int, typer.Option(help="Same seed, same rehearsal.")] = 7,
    seconds: Annotated[
        float, typer.Option(min=0, max=600, help="How long the rehearsal plays; 0 = no pacing.")
    ] = 5.0,
) -> None:
    """Rehearse a whole drop offline: countdown, the rush, lapsing holds, the waitlist; then
    a month of a membership (sign-ups, a failed card, cancellations) and its figures."""
    play(settings(), SandboxOptions(fans=fans, units=units, seed=seed, seconds=seconds))


def play(config: Settings, options: SandboxOptions) -> SandboxSummary:
    out.print(
        f"[bold]Sandbox[/]: {options.fans} simulated fans, {options.units} units, "
        f"seed {options.seed}, on a throwaway SQLite database. Nothing is sent anywhere."
    )
    summary = run_async(rehearse(config, options, show_event))
    print_summary(summary)
    return summary


def show_event(at: str, event: DomainEvent | str) -> None:
    line = describe(event)
    if line:
        out.print(f"[dim]{at}[/] {line}")


def describe(event: DomainEvent | str) -> str | None:
    match event:
        case str() if event.startswith("🪪"):
            return event
        case str():
            return f"⏳ {event}"
        case events.DropScheduled():
            return f"📣 [bold]{event.title}[/] announced: opens {event.opens_at:%H:%M:%S} UTC"
        case events.DropOpened():
            return f"🟢 [bold green]{event.title} is open[/]: the rush begins"
        case events.HoldPlaced(from_waitlist=True):
            return f"🎟  fan #{event.fan_id} from the waitlist gets a freed {event.tier_name}"
        case events.HoldPlaced():
            return f"✋ fan #{event.fan_id} holds {event.tier_name} ({event.price})"
        case events.OrderPaid():
            return f"💶 fan #{event.fan_id} paid {event.amount}"
        case events.HoldExpired():
            return f"⌛ fan #{event.fan_id}'s hold lapsed; the unit goes back"
        case events.DropSoldOut():
            return f"🔴 [bold red]{event.title} sold out[/]"
        case events.DropReopened():
            return f"🟡 a unit came back: {event.title} is open again"
        case events.PaymentRefunded():
            return f"↩️  fan #{event.fan_id} paid too late ({event.reason}): refunded {event.amount}"
        case events.DropClosed():
            return f"⏹  {event.title} closed"
    return None


def print_summary(summary: SandboxSummary) -> None:
    table = Table(title="Sandbox summary", show_header=False)
    median = summary.median_open_to_paid_s
    rows = [
        ("sold", f"{summary.sold} of {summary.stock}"),
        ("oversold", str(summary.oversold)),
        ("revenue", summary.revenue_text()),
        ("hold expiries", str(summary.hold_expiries)),
        ("waitlist offers", str(summary.waitlist_offers)),
        ("waitlist conversions", str(summary.waitlist_conversions)),
        ("late payments refunded", str(summary.late_payments_refunded)),
        ("fans turned away", str(summary.refusals)),
        ("median open → paid", f"{median / 60:.1f} min" if median is not None else "-"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    out.print(table)
    if summary.members is not None:
        out.rule("A month of a membership, as dropcast stats members shows it")
        print_members(out, summary.members)
