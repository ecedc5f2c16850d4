"""Short ways to set up the situations tests start from, through the core's own API."""

from __future__ import annotations

from core.app import Core
from core.drops.specs import TierSpec
from core.drops.views import DropView
from core.fans import fan_for
from core.models import Platform
from core.money import parse_price


def tier(
    name: str = "Signed print",
    *,
    stock: int = 10,
    limit: int = 1,
    price: str = "25.00 EUR",
    kind: str = "physical",
    content: str | None = None,
    perk: str = "",
) -> TierSpec:
    if content is None:
        content = "" if kind == "physical" else f"https://files.example/{name}.zip"
    return TierSpec(name, kind, parse_price(price), stock, limit, content, perk)


async def open_drop(core: Core, *tiers: TierSpec, hold_minutes: int = 10) -> DropView:
    drop = await core.drops.create(
        "Winter drop", list(tiers) or [tier()], hold_minutes=hold_minutes
    )
    return await core.drops.open(drop.id)


async def fans(count: int, start: int = 0) -> list[int]:
    return [
        await fan_for(Platform.SANDBOX, f"fan-{n}", f"Fan {n}") for n in range(start, start + count)
    ]
