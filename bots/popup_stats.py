"""Pickups per pop-up as `dropcast popup list` and `dropcast stats popups` print them
(core/popups/stats.py says what each counts)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from core.popups.places import window
from core.popups.stats import PopUpStats


def print_pop_ups(out: Console, found: list[PopUpStats]) -> None:
    if not found:
        out.print("No pop-up yet: dropcast popup create DROP_ID --place … --from … --to ….")
        return
    table = Table(
        "pop-up", "drop", "place", "window", "expected", "collected", "no-shows", "no-show rate",
        "shipped after", "refunded after",
    )  # fmt: skip
    for p in found:
        rate = "-" if p.no_show_rate is None else f"{p.no_show_rate:.0%}"
        when = window(p.starts_at, p.ends_at, p.zone)
        table.add_row(
            f"#{p.pop_up_id}", f"#{p.drop_id} {p.title}", p.place, when,
            str(p.expected), str(p.collected), str(p.no_shows), rate, str(p.shipped_after),
            str(p.refunded_after),
        )  # fmt: skip
    out.print(table)
