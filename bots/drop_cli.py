"""`dropcast drop …`: the creator's drop commands (run on the server, so always an admin)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bots.bootstrap import App
from bots.cli import RecordId
from bots.wired import with_app
from core.drops.copy import HELP as COPY_HELP
from core.drops.public import check_image, set_image
from core.drops.specs import TIER_HELP, EarlyAccess, parse_tier, whole_number
from core.drops.views import DropView, TierView, drop_view, list_drops
from core.errors import InvalidInput
from core.times import parse_when

app = typer.Typer(help="Create and run drops.", no_args_is_help=True)
IMAGE_HELP = "The image its public page and link previews show (https://…, 1200x630 best)."
out = Console()


def _do(action: Callable[[App], Awaitable[DropView]]) -> None:
    show(with_app(action))


@app.command()
def create(
    title: Annotated[str, typer.Argument(help="What fans see, e.g. 'Winter drop'.")],
    tier: Annotated[list[str], typer.Option("--tier", "-t", help=TIER_HELP)],
    hold_minutes: Annotated[int, typer.Option(help="How long a fan's hold lasts.")] = 10,
    description: Annotated[str, typer.Option(help="A line or two about the drop.")] = "",
    members_only: Annotated[
        bool, typer.Option("--members-only", help="Only members of a plan may buy it.")
    ] = False,
    image: Annotated[str | None, typer.Option(help=IMAGE_HELP)] = None,
) -> None:
    """Create a draft drop with its tiers."""
    tiers = [parse_tier(text) for text in tier]  # a typo is refused before the database opens
    picture = None if image is None else check_image(image)

    async def action(app: App) -> DropView:
        made = await app.core.drops.create(
            title,
            tiers,
            description=description,
            hold_minutes=hold_minutes,
            members_only=members_only,
        )
        if picture is not None:
            await set_image(made.id, picture)
        return made

    _do(action)


@app.command(name="image")
def image_(
    drop_id: RecordId,
    url: Annotated[str, typer.Argument(help=f"{IMAGE_HELP} '' goes back to the generated one.")],
) -> None:
    """The image a drop's public page (/d/CODE) and its link previews show."""
    with_app(lambda _: set_image(drop_id, url or None))
    out.print(f"Drop #{drop_id} image: {url or 'a generated card'}")


@app.command()
def schedule(
    drop_id: RecordId,
    opens_at: Annotated[str, typer.Option(help="ISO 8601 (2026-12-01T18:00+01:00) or +30m.")],
    closes_at: Annotated[
        str | None, typer.Option(help="Optional end, same formats; +3d counts from the opening.")
    ] = None,
    early_access: Annotated[
        str | None, typer.Option(help='Fan tier and minutes, e.g. "insider:30".')
    ] = None,
) -> None:
    """Set when a drop opens (and closes); fans see the countdown."""
    early = _early(early_access)

    async def action(app: App) -> DropView:
        now, zone = app.core.clock.now(), app.settings.creator_timezone
        opens = parse_when(opens_at, now=now, zone=zone)
        closes = None
        if closes_at:  # "+3d" is three days of selling, counted from the opening
            closes = parse_when(closes_at, now=now, zone=zone, relative_to=opens)
        return await app.core.drops.schedule(drop_id, opens, closes, early)

    _do(action)


def _early(text: str | None) -> EarlyAccess | None:
    if text is None:
        return None
    tier, sep, minutes = text.partition(":")
    if not sep:
        raise InvalidInput(f'early access {text!r} is not "tier:minutes", e.g. "insider:30"')
    return EarlyAccess(tier.strip(), whole_number(minutes.strip(), "early access minutes"))


@app.command(name="open")
def open_(drop_id: RecordId) -> None:
    """Open a drop now."""
    _do(lambda app: app.core.drops.open(drop_id))


@app.command()
def close(drop_id: RecordId) -> None:
    """Stop selling; holds already placed may still be paid until they lapse."""
    _do(lambda app: app.core.drops.close(drop_id))


@app.command()
def cancel(drop_id: RecordId) -> None:
    """Call a drop off before anyone paid; holds end and fans are told."""
    _do(lambda app: app.core.drops.cancel(drop_id))


@app.command(name="copy")
def copy_(
    drop_id: RecordId,
    variants: Annotated[str, typer.Argument(help=f"The {COPY_HELP}; '' stops the test.")],
) -> None:
    """A/B test the words a fan reads when a unit is held for them: scarcity ("only 3
    left") or a struck "was" price. Each fan always sees the same variant; `dropcast stats`
    shows which converts better."""
    out.print(
        f"Drop #{drop_id} copy: {with_app(lambda app: app.core.drops.set_copy(drop_id, variants))}"
    )


@app.command(name="show")
def show_(drop_id: RecordId) -> None:
    """A drop's state and stock, tier by tier."""
    _do(lambda _: drop_view(drop_id))


@app.command(name="list")
def list_() -> None:
    """Every drop, newest last."""
    drops = with_app(lambda _: list_drops())
    table = Table("id", "title", "status", "opens", "sold", "held", "available", "stock")
    for drop in drops:
        table.add_row(
            str(drop.id),
            drop.title,
            drop.status,
            drop.opens_at.isoformat(timespec="minutes") if drop.opens_at else "-",
            *(
                str(sum(getattr(t, key) for t in drop.tiers))
                for key in ("sold", "held", "available", "stock")
            ),
        )
    out.print(table if drops else "No drops yet: dropcast drop create --help")


def _for_members(tier: TierView) -> str:
    """What members get of a tier: their price, and whether only they may buy it."""
    parts = [str(tier.member_price)] if tier.member_price else []
    return ", ".join(parts + (["only"] if tier.members_only else [])) or "-"


def show(drop: DropView) -> None:
    out.print(f"[bold]#{drop.id} {drop.title}[/]  {drop.status}  code {drop.code}")
    when = [
        f"opens {drop.opens_at.isoformat(timespec='minutes')}" if drop.opens_at else None,
        f"closes {drop.closes_at.isoformat(timespec='minutes')}" if drop.closes_at else None,
        drop.early_access,
        f"holds last {drop.hold_minutes} min",
        "members only" if drop.members_only else None,
    ]
    out.print("  ".join(part for part in when if part))
    table = Table(
        "tier", "kind", "price", "members", "stock", "available", "held", "sold", "per fan"
    )
    for t in drop.tiers:
        table.add_row(
            t.name,
            t.kind,
            str(t.price),
            _for_members(t),
            str(t.stock),
            str(t.available),
            str(t.held),
            str(t.sold),
            str(t.per_fan_limit),
        )
    out.print(table)
