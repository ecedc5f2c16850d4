"""`dropcast plan import`: moving subscribers in from another tool without re-billing them
(core/memberships/importing.py). The creator gets a table, and optionally a CSV, of each
subscription with its subscriber's way to claim it: a Telegram deep link and a Discord
command carrying a one-time code, shown this once (Dropcast keeps only its digest)."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from adapters.telegram.claims import claim_link
from adapters.wording import day
from bots.bootstrap import App
from bots.cli import CANNOT_RUN, fail
from bots.reaching import reaching
from bots.wired import with_app
from core.errors import ProviderUnreachable
from core.memberships.importing import CLAIM_VALID, Imported

out = Console()
CSV_COLUMNS = ("subscription", "email", "plan", "price", "period", "paid_through",
               "telegram_link", "discord_command", "left_alone_because")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Ways:
    """Where subscribers can claim: the Telegram bot (its username), Discord (the command)."""

    telegram: str | None
    discord: Callable[[str], str] | None

    def of(self, code: str | None) -> tuple[str, str]:
        """The Telegram link and the Discord command that claim with `code`."""
        if code is None:
            return "", ""
        telegram = claim_link(self.telegram, code) if self.telegram else ""
        return telegram, self.discord(code) if self.discord else ""


def import_subscriptions(
    plan: Annotated[
        str | None,
        typer.Option(help="Put every subscription found on this plan (name or id), whatever "
                     "it charges; otherwise each is matched by its price."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list and match: store and give out nothing.")
    ] = False,
    csv_path: Annotated[
        Path | None,
        typer.Option("--csv", help="Also write each subscriber's email and claim link to this "
                     "CSV file (readable by you only), to send them."),
    ] = None,
) -> None:  # fmt: skip
    """Move in the Stripe subscriptions Dropcast does not know yet (from another tool): each
    is matched to a plan and its subscriber gets a one-time claim link that connects their
    Discord or Telegram account. Nothing is charged: each keeps its price and paid period."""

    async def run(wired: App) -> tuple[list[Imported], Ways]:
        try:
            found = await wired.core.importing.run(plan, dry_run=dry_run)
        except ProviderUnreachable as error:
            fail(f"Stripe: {error}", CANNOT_RUN)
        return found, Ways(await bot_username(wired), _discord_command(wired))

    found, ways = with_app(run)
    if not found:
        out.print("No Stripe subscription to move in: every one that bills is Dropcast's.")
        return
    table = Table("subscription", "customer", "plan", "price kept", "paid through", "claim")
    for sub in found:
        telegram, discord = ways.of(sub.code)
        table.add_row(
            sub.subscription_ref,
            _masked(sub.customer_email),
            sub.plan_name or "-",
            f"{sub.price} / {sub.period}" if sub.price and sub.period else "as it is",
            day(sub.paid_through) if sub.paid_through else "-",
            telegram or discord or _unclaimable(sub),
        )
    out.print(table)
    given = sum(sub.code is not None for sub in found)
    alone = sum(sub.plan_id is None for sub in found)
    if dry_run:
        out.print(f"Dry run: {len(found)} found, {alone} matching no plan; nothing was stored.")
    else:
        out.print(f"Claim links given: {given}, each working once, for {CLAIM_VALID.days} "
                  f"days. Left alone, matching no plan: {alone}.")  # fmt: skip
    if csv_path is not None:
        _write(csv_path, found, ways)
        out.print(f"Written to {csv_path}.")


async def bot_username(wired: App) -> str | None:
    if wired.telegram is None:
        return None
    from adapters.telegram.bot import ready  # python-telegram-bot loads only when it is used

    with reaching("telegram"):
        return (await ready(wired.telegram)).username


def _discord_command(wired: App) -> Callable[[str], str] | None:
    if wired.discord is None:
        return None
    from adapters.discord.membership_claims import claim_command  # as for Telegram

    return claim_command


def _unclaimable(sub: Imported) -> str:
    if sub.code is not None:
        return f"code {sub.code} (set TELEGRAM_TOKEN or DISCORD_TOKEN for fans to use it)"
    return sub.why_not or "(dry run)"


def _masked(email: str | None) -> str:
    """Enough of an email for the creator to recognise it in a terminal, no more."""
    if not email or "@" not in email:
        return "-"
    name, _, domain = email.rpartition("@")
    return f"{name[:1]}***@{domain}"


def _write(path: Path, found: list[Imported], ways: Ways) -> None:
    """The CSV for the creator to send from; made readable by its owner only."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(descriptor, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(CSV_COLUMNS)
        for sub in found:
            telegram, discord = ways.of(sub.code)
            writer.writerow((
                sub.subscription_ref, sub.customer_email or "", sub.plan_name or "",
                str(sub.price or ""), sub.period or "",
                sub.paid_through.isoformat() if sub.paid_through else "",
                telegram, discord, sub.why_not,
            ))  # fmt: skip
