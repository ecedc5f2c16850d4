"""`dropcast demo-data`: a creator's simulated weeks in an empty database, so the stats and
the dashboard have something true to show."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console

from bots.bootstrap import App, rules
from bots.demo.loader import load
from bots.demo.simulation import Params, Plan, simulate
from bots.wired import with_app

out = Console(highlight=False)


def register(app: typer.Typer) -> None:
    app.command(name="demo-data")(demo_data)


def demo_data(
    fans: Annotated[int, typer.Option(min=10, max=200_000, help="Fans in the community.")] = 3000,
    weeks: Annotated[int, typer.Option(min=2, max=52, help="Weeks of history.")] = 12,
    seed: Annotated[int, typer.Option(help="Same seed, same weeks.")] = 7,
) -> None:
    """Fill an empty database with a simulated creator's weeks (weekly 30-minute sessions, a
    50-unit drop every second week, a campaign A/B test, a membership plan churning 6% a
    month), from known parameters."""

    async def generate(wired: App) -> Plan:
        params = Params(seed=seed, fans=fans, weeks=weeks)
        plan = simulate(params, wired.core.clock.now(), rules(wired.settings))
        grace = timedelta(days=wired.settings.membership_grace_days)
        await load(plan, rules(wired.settings), grace)
        return plan

    plan: Plan = with_app(generate)
    assert plan.truth is not None
    out.print(
        f"{fans} fans, {len(plan.sessions)} live sessions, {len(plan.drops)} drops, "
        f"{len(plan.orders)} paid orders, {len(plan.listens)} listens, {len(plan.dms)} DMs, "
        f"from {plan.start:%Y-%m-%d}. Truth: buyers pay a median "
        f"{plan.truth.lag_median} min after going live; {plan.truth.repeat_buyers} of "
        f"{plan.truth.buyers} buyers bought again; {len(plan.members)} memberships of the "
        f"Backstage club, whose paying members cancel "
        f"{plan.truth.membership_churn_rate:.0%} of renewals. Now run: dropcast stats"
    )
