"""`dropcast plan …`: the creator's membership plans (run on the server, so always an admin).
Fans join them through Stripe Billing (core/memberships/joining.py); Telegram Stars is next."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bots.cli import RecordId
from bots.wired import with_app
from core.memberships.plans import (
    MAX_EARLY_ACCESS_MINUTES,
    MAX_STARS,
    MAX_TRIAL_DAYS,
    PlanSpec,
    PlanView,
    list_plans,
    plan_view,
)
from core.money import parse_price

app = typer.Typer(
    help="Membership plans: a recurring price and what members get.", no_args_is_help=True
)
out = Console()


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
) -> None:
    """Create a membership plan."""
    # checked before the database opens: a typo changes nothing
    spec = PlanSpec(
        name, parse_price(price), period, stars, trial_days, tuple(perk or ()), early_access
    ).checked()
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
            f"{plan.price} / {_per(plan.period)}",
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


def show(plan: PlanView) -> None:
    out.print(f"[bold]#{plan.id} {plan.name}[/]  {_status(plan)}", highlight=False)
    table = Table("", "", show_header=False, box=None)
    table.add_row("price", f"{plan.price} / {_per(plan.period)} (Stripe)")
    table.add_row("Stars", f"{plan.stars} XTR / 30 days" if plan.stars is not None else "-")
    table.add_row("free trial", f"{plan.trial_days} days" if plan.trial_days else "none")
    table.add_row("perks", ", ".join(plan.perks) or "none")
    early = plan.early_access_minutes
    table.add_row("early access", f"{early} min before a drop opens" if early else "none")
    members = ", ".join(f"{n} {state}" for state, n in plan.members)
    table.add_row("members", members or "none")
    out.print(table)


def _per(period: str) -> str:
    return {"monthly": "month", "yearly": "year"}.get(period, period)


def _status(plan: PlanView) -> str:
    if plan.archived_at is None:
        return "on sale"
    return f"archived {plan.archived_at.isoformat(timespec='minutes')}"
