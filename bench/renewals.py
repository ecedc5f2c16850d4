"""A month's renewals: N members of one plan (10,000 by default), every subscription renewed
at the start of the month by the Stripe Billing peer (tests/peers/stripe_billing.py) as a
test clock would, and Stripe's events for them, each delivered twice and shuffled, posted
over real HTTP to `dropcast web`. The web process re-reads each subscription from the peer,
which answers 429 past Stripe's rate (25 a second an endpoint, 25 in all for a sandbox), so
the figures include reading at Stripe's pace. Prints one JSON object:

- `events_per_s`: deliveries accepted a second (2 per event);
- `settled_s`: from the first delivery until every membership has its new period and no
  perk change is still waiting (core/notices.py);
- `stripe_429`: requests the peer refused for the rate (target 0);
- `wrong`: memberships whose state or period differ from the peer's afterwards (target 0);
- `stripe_reads`: subscription requests the web process made (listings and single reads).

    python bench/renewals.py --db sqlite|postgres [--members 10000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, web
from webhooks import SECRET, free_port, signed, start, stream, wait_ready  # bench/webhooks.py

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.memory import ManualClock
from adapters.stripe.billing import snapshot
from adapters.stripe.webhooks import ACTED_ON
from bots.bootstrap import bootstrap
from bots.cli import new_event_loop
from bots.database import database, migrate
from config import load_settings
from core.kinds import MemberState, NoticeStatus, PerkGrantStatus, Platform
from core.memberships.plans import PlanSpec
from core.memberships.states import member_state, snapshot_rank
from core.models import Fan, Membership, MembershipPlan, Notice, PerkGrant
from core.models.memberships import LIVE
from core.money import parse_price
from tests.databases import scratch_database
from tests.peers.stripe_billing import shifted
from tests.peers.stripe_checkout import StripeCheckoutPeer
from tests.stripe_client import stripe_client

KEY = "sk_test_bench_renewals"
GRACE = timedelta(days=3)  # the default MEMBERSHIP_GRACE_DAYS


async def prepare(url: str, peer: StripeCheckoutPeer, peer_url: str, members: int) -> datetime:
    """A plan granting a Discord role, `members` fans each subscribed at the peer a month
    ago and recorded as active members holding the role; returns the month's start."""
    await migrate(url)
    async with database(url):
        core = bootstrap(load_settings(database_url=url)).core
        role = await core.perks.register("members", "Members", Platform.DISCORD, "1", "2")
        plan = await core.plans.create(
            PlanSpec("Inner circle", parse_price("5.00 EUR"), perks=("members",))
        )
        async with stripe_client(peer_url, KEY) as api:
            monthly = {"currency": "eur", "unit_amount": 500, "recurring": {"interval": "month"}}
            price = await api.v1.prices.create_async(
                monthly | {"product_data": {"name": plan.name}}  # type: ignore[arg-type]
            )
        await MembershipPlan.filter(id=plan.id).update(stripe_price_ref=price.id)
        await Fan.bulk_create([Fan(display_name=f"Member {n}") for n in range(members)])
        fans = await Fan.all().order_by("id").values_list("id", flat=True)
        rows, grants = [], []
        for fan_id in fans:
            sub = await peer.billing.started_elsewhere(
                price.id, f"member{fan_id}@example.com",
                metadata={"fan_id": str(fan_id), "plan_id": str(plan.id)},
            )  # fmt: skip
            rows.append(_membership(fan_id, plan.id, sub, peer.clock.now()))
            grants.append(
                PerkGrant(perk_id=role.id, fan_id=fan_id,
                          status=PerkGrantStatus.GRANTED, changed_at=peer.clock.now())
            )  # fmt: skip
        await Membership.bulk_create(rows, batch_size=1000)
        await PerkGrant.bulk_create(grants, batch_size=1000)
    return shifted(peer.clock.now(), "month", 1)


def _membership(fan_id: int, plan_id: int, sub: dict[str, Any], read_at: datetime) -> Membership:
    """The membership as the core records the subscription (core/memberships/members.py)."""
    seen = snapshot(sub, read_at).checked()
    standing = member_state(seen, GRACE)
    return Membership(
        fan_id=fan_id, plan_id=plan_id, provider="stripe", subscription_ref=sub["id"],
        state=standing.state, live=LIVE, current_period_end=seen.current_period_end,
        access_until=standing.access_until, started_at=seen.started_at,
        snapshot_at=seen.as_of, snapshot_rank=snapshot_rank(seen),
    )  # fmt: skip


def bodies(events: list[dict[str, Any]]) -> list[bytes]:
    """The events a creator's endpoint is sent: those Dropcast asks for (README)."""
    return [json.dumps(event).encode() for event in events if event["type"] in ACTED_ON]


async def settled(members: int, period_end: datetime) -> None:
    deadline = time.monotonic() + 1800
    while True:
        renewed = await Membership.filter(current_period_end__gte=period_end).count()
        waiting = await Notice.filter(
            status__in=(NoticeStatus.QUEUED, NoticeStatus.SENDING)
        ).count()
        if renewed == members and waiting == 0:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{renewed}/{members} renewed, {waiting} notices waiting")
        await asyncio.sleep(0.2)


async def measure(db: str, members: int, concurrency: int) -> dict[str, object]:
    start_of_month = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    peer = StripeCheckoutPeer(ManualClock(shifted(start_of_month, "month", -1)))
    runner = web.AppRunner(peer.app)
    await runner.setup()
    peer_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", peer_port).start()
    peer_url = f"http://127.0.0.1:{peer_port}"
    async with scratch_database(db, "dropcast_bench_renewals") as url:
        renewal = await prepare(url, peer, peer_url, members)
        sent = len(peer.events)
        await peer.billing.advance(renewal + timedelta(hours=2))
        renewed = bodies(peer.events[sent:])
        period_end = shifted(renewal, "month", 1)
        deliveries = renewed * 2
        random.Random(7).shuffle(deliveries)
        web_port = free_port()
        env = {
            "DATABASE_URL": url, "STRIPE_WEBHOOK_SECRET": SECRET, "STRIPE_SECRET_KEY": KEY,
            "STRIPE_API_BASE": peer_url, "PUBLIC_BASE_URL": "https://drops.example.com",
            "PORT": str(web_port),
        }  # fmt: skip
        server = start([str(Path(sys.executable).parent / "dropcast"), "web"], env)
        requests_before = len(peer.requests)
        try:
            async with ClientSession() as http:
                await wait_ready(http, f"http://127.0.0.1:{web_port}/healthz")
                hooks = f"http://127.0.0.1:{web_port}/webhooks/stripe"
                began = time.perf_counter()
                per_s, _, _ = await stream(http, hooks, signed(deliveries), concurrency)
                async with database(url):
                    await settled(members, period_end)
                    settled_s = time.perf_counter() - began
                    wrong = await _wrong(peer, period_end)
        finally:
            server.terminate()
            server.wait(timeout=30)
            await runner.cleanup()
    reads = [path for _, path, _, _ in peer.requests[requests_before:]]
    return {
        "db": db,
        "members": members,
        "events": len(renewed),
        "deliveries": len(deliveries),
        "events_per_s": round(per_s),
        "settled_s": round(settled_s, 2),
        "stripe_429": peer.rate_limited,
        "wrong": wrong,
        "stripe_reads": {
            "listed_pages": reads.count("/v1/subscriptions"),
            "single": sum(path.startswith("/v1/subscriptions/") for path in reads),
        },
    }


async def _wrong(peer: StripeCheckoutPeer, period_end: datetime) -> int:
    """Memberships not active through the peer's new period."""
    wrong = 0
    for row in await Membership.all():
        sub = peer.billing.subscriptions[row.subscription_ref]
        ends = snapshot(sub, row.snapshot_at).current_period_end
        kept = row.current_period_end == ends == period_end
        if row.state != MemberState.ACTIVE or not kept:
            wrong += 1
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    loop = new_event_loop()
    print(json.dumps(loop.run_until_complete(measure(args.db, args.members, args.concurrency))))


if __name__ == "__main__":
    main()
