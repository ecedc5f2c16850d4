"""`dropcast stats tokens`: perk token sets' figures and their holders' comeback, as
`dropcast token list` prints them too (core/perk_tokens/figures.py and comeback.py say what
each counts)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from bots.bootstrap import App
from bots.stats_cli import app
from bots.wired import with_app
from core.analytics.uplift import CohortUplift
from core.perk_tokens.comeback import Comeback, comeback
from core.perk_tokens.figures import SetFigures, set_figures

__all__ = ["app", "print_sets"]
out = Console(highlight=False)


@app.command()
def tokens() -> None:
    """Perk token sets (minted, claimed, gifted, redeemed, expired), and whether holders came
    to the next session and bought again, against comparable fans."""

    async def found(_: App) -> tuple[list[SetFigures], Comeback]:
        return await set_figures(), await comeback()

    sets, back = with_app(found)
    print_sets(out, sets)
    print_comeback(out, back)


def print_sets(out: Console, found: list[SetFigures]) -> None:
    if not found:
        out.print("No token set yet: dropcast token mint NAME --perk … --count N --to RULE.")
        return
    table = Table(
        "set", "perk", "who", "minted", "claimed", "unclaimed", "gifted", "redeemed", "expired",
        "expires",
    )  # fmt: skip
    for s in found:
        who = s.rule if s.drawn is not False else f"{s.rule} (not drawn yet)"
        table.add_row(
            f"#{s.id} {s.name}", s.perk, who + (f", seed {s.seed}" if s.seed else ""),
            str(s.minted), str(s.claimed), str(s.unclaimed), str(s.gifted), str(s.redeemed),
            str(s.expired), f"{s.expires_at:%Y-%m-%d %H:%M} UTC",
        )  # fmt: skip
    out.print(table)


def print_comeback(out: Console, found: Comeback) -> None:
    if not found.came_back:
        return
    for title, sets, difference in (
        ("came to the next session", found.came_back, found.came_back_difference),
        ("bought again", found.bought, found.bought_difference),
    ):
        table = Table("set", "holders", title, "comparable fans", title)
        for s in sets:
            table.add_row(s.month, *_sides(s))
        out.print(table)
        said = "not enough fans on both sides yet" if difference is None else f"{difference:+.0%}"
        out.print(f"Holders minus comparable fans, weighted by set: {said}.")
    out.print(found.caveat)


def _sides(cohort: CohortUplift) -> tuple[str, str, str, str]:
    def share(rate: float | None) -> str:
        return "-" if rate is None else f"{rate:.0%}"

    held, others = cohort.crossed, cohort.others
    return str(held.fans), share(held.rate), str(others.fans), share(others.rate)
