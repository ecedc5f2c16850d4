"""Short ways to set up the situations tests start from, through the core's own API."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from adapters.memory import ManualClock
from bots.bootstrap import App, bootstrap
from bots.clock_process import clock_jobs
from bots.database import database
from config import Settings
from core.app import Core
from core.drops.specs import TierSpec
from core.drops.views import DropView
from core.fans import fan_for
from core.kinds import Platform
from core.memberships.plans import PlanSpec
from core.memberships.states import Snapshot
from core.models import ProviderEvent
from core.money import parse_price
from tests.eventually import eventually


def tier(
    name: str = "Signed print",
    *,
    stock: int = 10,
    limit: int = 1,
    price: str = "25.00 EUR",
    kind: str = "physical",
    content: str | None = None,
    perk: str = "",
    member_price: str | None = None,
    members_only: bool = False,
) -> TierSpec:
    if content is None:
        content = "" if kind == "physical" else f"https://files.example/{name}.zip"
    member = parse_price(member_price) if member_price else None
    return TierSpec(
        name, kind, parse_price(price), stock, limit, content, perk, member, members_only
    )


async def open_drop(core: Core, *tiers: TierSpec, hold_minutes: int = 10) -> DropView:
    drop = await core.drops.create(
        "Winter drop", list(tiers) or [tier()], hold_minutes=hold_minutes
    )
    return await core.drops.open(drop.id)


async def make_member(core: Core, fan_id: int, *, early: int = 0, days: int = 29) -> None:
    """The fan joins a plan of their own giving `early` minutes of early access in drops,
    paid (through Stripe) for `days` from now."""
    name = f"Club {fan_id} {early}"
    plan = await core.plans.create(
        PlanSpec(name, parse_price("5.00 EUR"), early_access_minutes=early)
    )
    now = core.holds.clock.now()
    snapshot = Snapshot(
        "active", as_of=now, started_at=now, current_period_start=now,
        current_period_end=now + timedelta(days=days),
    )  # fmt: skip
    await core.memberships.record(fan_id, plan.id, "stripe", f"sub_{name}", snapshot)


async def fans(count: int, start: int = 0) -> list[int]:
    return [
        await fan_for(Platform.SANDBOX, f"fan-{n}", f"Fan {n}") for n in range(start, start + count)
    ]


async def handled() -> list[str | None]:
    """What became of each provider event kept by the web process, oldest first."""
    return list(await ProviderEvent.all().order_by("id").values_list("outcome", flat=True))


def until_handled(count: int) -> Callable[[], Awaitable[None]]:
    """Waits, between a test's web requests, until the web process has handled `count`
    provider events in the background."""

    async def enough() -> bool:
        return await ProviderEvent.filter(processed_at__isnull=False).count() >= count

    async def wait() -> None:
        await eventually(enough, seconds=10, what=f"{count} provider events to be handled")

    return wait


async def in_new_process(settings: Settings, clock: ManualClock, work: Any, **ports: Any) -> Any:
    """`work(app)` as a freshly started process runs it: its own application, database
    context and connections, sharing only the database (and the platforms) with the rest."""

    async def process() -> Any:
        async with database(settings.database_url):
            app: App = bootstrap(settings, clock=clock, **ports)
            try:
                return await work(app)
            finally:
                await app.close()

    return await asyncio.create_task(process(), context=contextvars.Context())


async def restarted_clock(settings: Settings, clock: ManualClock, **ports: Any) -> None:
    """Each of the clock process's jobs once, in a freshly started clock process."""

    async def run_jobs(app: App) -> None:
        for job, _ in clock_jobs(app.core):
            await job()

    await in_new_process(settings, clock, run_jobs, **ports)
