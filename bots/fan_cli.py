"""`dropcast fan …`: one fan as the creator sees them, whichever platform they came from."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from adapters import wording
from bots.bootstrap import App
from bots.cli import CANNOT_RUN, MAX_ID, fail
from bots.wired import with_app
from core import privacy
from core.errors import NotFound
from core.fans import profile
from core.kinds import PerkGrantStatus, Platform
from core.models import Fan, PerkGrant, PlatformAccount

app = typer.Typer(help="Look up fans.", no_args_is_help=True)
out = Console(highlight=False)


@app.command()
def show(
    who: Annotated[
        str, typer.Argument(help="A fan id, or PLATFORM:USER_ID such as telegram:123456.")
    ],
) -> None:
    """Accounts, consent, tier, points, orders and perks of one fan."""

    async def look(wired: App) -> str:
        fan = await _find(who)
        accounts = await PlatformAccount.filter(fan_id=fan.id).order_by("platform")
        perks = await PerkGrant.filter(
            fan_id=fan.id, status=PerkGrantStatus.GRANTED
        ).select_related("perk")
        lines = [f"Fan #{fan.id} {fan.display_name}"]
        lines += [
            f"  {a.platform}: {a.platform_user_id}"
            + ("" if a.dm_reachable else " (cannot be messaged)")
            for a in accounts
        ]
        lines.append(f"  DMs: {'opted in' if fan.dm_opt_in else 'not opted in'}")
        lines += [
            f"    {r.at:%Y-%m-%d %H:%M} UTC {'yes' if r.given else 'no'} on {r.platform} ({r.how})"
            for r in await wired.core.consent.history(fan.id)
        ]
        lines.append(wording.profile_text(await profile(fan.id)))
        lines.append("Perks: " + (", ".join(g.perk.title for g in perks) or "none"))
        return "\n".join(lines)

    out.print(with_app(look), markup=False)


async def _find(who: str) -> Fan:
    platform, _, user = who.partition(":")
    fan = None
    if user and platform in {known.value for known in Platform}:
        account = await PlatformAccount.get_or_none(platform=platform, platform_user_id=user)
        fan = await Fan.get_or_none(id=account.fan_id) if account else None
    elif who.isdigit() and int(who) <= MAX_ID:  # a larger number is no fan's id
        fan = await Fan.get_or_none(id=int(who))
    if fan is None:
        raise NotFound(f"no fan matches {who!r} (a fan id, or telegram:ID / discord:ID)")
    return fan


@app.command()
def export(
    who: Annotated[str, typer.Argument(help="A fan id, or PLATFORM:USER_ID.")],
) -> None:
    """Everything held about one fan, as JSON (to hand to them when they ask)."""

    async def gather(_: App) -> dict[str, object]:
        return await privacy.export((await _find(who)).id)

    typer.echo(json.dumps(with_app(gather), indent=2))


@app.command()
def forget(
    who: Annotated[str, typer.Argument(help="A fan id, or PLATFORM:USER_ID.")],
    yes: Annotated[bool, typer.Option("--yes", help="Really: this cannot be undone.")] = False,
) -> None:
    """Erase the person: their perks are taken back, then name, accounts, addresses and
    consent records go; orders stay as anonymous totals."""
    if not yes:
        fail("this erases the fan for good: run again with --yes to do it", CANNOT_RUN)

    async def erase(wired: App) -> int:
        fan = await _find(who)
        await privacy.forget(fan.id, wired.core.perks, wired.core.bus)
        return fan.id

    out.print(f"Fan #{with_app(erase)} is forgotten; their orders remain as anonymous totals.")
