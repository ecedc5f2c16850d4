"""`dropcast plan …`: the creator's membership plans (run on the server, so always an admin).
Fans join them through Stripe Billing (core/memberships/joining.py); Telegram Stars is next."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from adapters.wording import per
from bots.bootstrap import App
from bots.cli import RecordId
from bots.plan_import_cli import bot_username, import_subscriptions
from bots.plan_report_cli import access_report
from bots.plan_stars_cli import stars_reconcile
from bots.wired import with_app
from core.errors import InvalidInput
from core.memberships.plan_forms import plan_spec
from core.memberships.plans import (
    MAX_EARLY_ACCESS_MINUTES,
    MAX_STARS,
    MAX_TRIAL_DAYS,
    PlanView,
    list_plans,
    plan_view,
)

app = typer.Typer(
    help="Membership plans: a recurring price and what members get.", no_args_is_help=True
)
out = Console()
app.command(name="import")(import_subscriptions)
app.command(name="report")(access_report)
app.command(name="stars-reconcile")(stars_reconcile)


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="What fans see, e.g. 'Backstage club'.")],
    price: Annotated[
        str, typer.Option(help='Charged every period through Stripe, e.g. "5.00 EUR".')
    ],
    period: Annotated[str, typer.Option(help="monthly or yearly.")] = "monthly",
    stars: Annotated[
        int | None,
        typer.Option(help=f"The Telegram Stars price per 30 days (1 to {MAX_STARS}), if any."),
    ] = None,
    trial_days: Annotated[
        int, typer.Option(help=f"Free days before the first payment (0 to {MAX_TRIAL_DAYS}).")
    ] = 0,
    perk: Annotated[
        list[str] | None,
        typer.Option("--perk", help="The name of a perk members hold; repeat for more."),
    ] = None,
    early_access: Annotated[
        int,
        typer.Option(
            help=f"Minutes before a drop's opening members may reserve "
            f"(0 to {MAX_EARLY_ACCESS_MINUTES})."
        ),
    ] = 0,
    lapsed_perk: Annotated[
        str | None,
        typer.Option(help="A perk members whose payments lapsed hold instead of the plan's."),
    ] = None,
) -> None:
    """Create a membership plan."""
    # checked before the database opens: a typo changes nothing
    spec = plan_spec(
        name, price, period=period, stars=stars, trial_days=trial_days, perks=perk or (),
        early_access=early_access, lapsed_perk=lapsed_perk,
    )  # fmt: skip
    show(with_app(lambda app: app.core.plans.create(spec)))


@app.command(name="list")
def list_() -> None:
    """Every plan, on sale or archived, oldest first."""
    plans = with_app(lambda _: list_plans())
    if not plans:
        out.print("No plans yet: dropcast plan create --help")
        return
    table = Table("id", "name", "price", "stars", "trial", "perks", "members", "status")
    for plan in plans:
        table.add_row(
            str(plan.id),
            plan.name,
            f"{plan.price} / {per(plan.period)}",
            str(plan.stars) if plan.stars is not None else "-",
            f"{plan.trial_days} d" if plan.trial_days else "-",
            ", ".join(plan.perks) or "-",
            str(sum(n for _, n in plan.members)),
            "on sale" if plan.on_sale else "archived",
        )
    out.print(table)


@app.command(name="show")
def show_(plan_id: RecordId) -> None:
    """A plan: its prices, trial, perks, early access, and its members by state."""
    show(with_app(lambda _: plan_view(plan_id)))


@app.command()
def archive(plan_id: RecordId) -> None:
    """Stop selling a plan; its members keep it until they cancel."""
    show(with_app(lambda app: app.core.plans.archive(plan_id)))


@app.command()
def link(
    plan: Annotated[str, typer.Argument(help="The plan's name or number.")],
    fan: Annotated[
        int | None,
        typer.Option(
            help="A fan's number: their own link, making their Checkout page at each tap."
        ),
    ] = None,
) -> None:
    """A tracked join link (/l/…, its taps counted): one fan's own with --fan (for a DM or a
    campaign), else a public one leading to the Telegram bot's /join for the plan."""

    async def make(wired: App) -> str:
        if fan is not None:
            return await wired.core.join_links.for_fan(plan, fan)
        bot = await bot_username(wired)
        if bot is None:
            raise InvalidInput(
                "a public join link leads to the Telegram bot: set TELEGRAM_TOKEN, or give"
                " --fan N for one fan's own link (Discord members join with /join)"
            )
        return await wired.core.join_links.public(plan, bot)

    out.print(with_app(make), highlight=False)
    if fan is None:
        out.print("Discord members join with /join in your server.")


def show(plan: PlanView) -> None:
    out.print(f"[bold]#{plan.id} {plan.name}[/]  {_status(plan)}", highlight=False)
    table = Table("", "", show_header=False, box=None)
    table.add_row("price", f"{plan.price} / {per(plan.period)} (Stripe)")
    table.add_row("Stars", f"{plan.stars} XTR / 30 days" if plan.stars is not None else "-")
    table.add_row("free trial", f"{plan.trial_days} days" if plan.trial_days else "none")
    table.add_row("perks", ", ".join(plan.perks) or "none")
    table.add_row("when lapsed", plan.lapsed_perk or "no perk")
    early = plan.early_access_minutes
    table.add_row("early access", f"{early} min before a drop opens" if early else "none")
    members = ", ".join(f"{n} {state}" for state, n in plan.members)
    table.add_row("members", members or "none")
    out.print(table)


def _status(plan: PlanView) -> str:
    if plan.archived_at is None:
        return "on sale"
    return f"archived {plan.archived_at.isoformat(timespec='minutes')}"
