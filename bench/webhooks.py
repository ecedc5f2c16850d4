"""Stripe webhooks over real HTTP to `dropcast web`: 2,000 checkout completions, each sent
twice, shuffled, against an aiohttp server that only verifies signatures. Prints one JSON
object; `settled_s` is the time from the first delivery until every payment is an order,
`web_cpu_ms_per_payment` the web process's CPU time in that while per payment.

    python bench/webhooks.py --db sqlite|postgres [--payments 2000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import stripe
from aiohttp import ClientSession, web
from cpu import cpu_seconds  # bench/cpu.py, beside this script

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.stripe.webhooks import verified_event
from bots.bootstrap import bootstrap
from bots.cli import new_event_loop
from bots.database import database, migrate
from config import load_settings
from core.drops.specs import TierSpec
from core.kinds import OrderStatus
from core.models import Fan, Order
from core.money import parse_price
from tests.databases import scratch_database

SECRET = "whsec_bench"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def prepare(url: str, payments: int) -> list[bytes]:
    """A drop with one hold per payment; returns each hold's signed-later event body."""
    await migrate(url)
    async with database(url):
        core = bootstrap(load_settings(database_url=url)).core
        tier = TierSpec("Bench", "digital", parse_price("5.00 EUR"), payments, 1, "CODE")
        drop = await core.drops.open((await core.drops.create("Bench", [tier])).id)
        await Fan.bulk_create([Fan(display_name=f"Fan {n}") for n in range(payments)])
        fan_ids = list(await Fan.all().order_by("id").values_list("id", flat=True))
        holds = [await core.holds.reserve(drop.tiers[0].id, fan) for fan in fan_ids]
    return [
        json.dumps(
            {
                "id": f"evt_{hold.id}",
                "object": "event",
                "type": "checkout.session.completed",
                "data": {
                    "object": {
                        "id": f"cs_{hold.id}",
                        "object": "checkout.session",
                        "client_reference_id": str(hold.id),
                        "payment_intent": f"pi_{hold.id}",
                        "payment_status": "paid",
                        "amount_total": hold.price.minor,
                        "currency": hold.price.currency.lower(),
                    }
                },
            }
        ).encode()
        for hold in holds
    ]


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, env=os.environ | env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def wait_ready(http: ClientSession, url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            async with http.get(url) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not answer")


def signed(bodies: list[bytes]) -> list[tuple[bytes, str]]:
    """Each body with its signature, made before the clock starts: Stripe signs on its own
    machines, not on this one."""
    return [
        (body, stripe.WebhookSignature.generate_signature_header(body.decode(), SECRET))
        for body in bodies
    ]


async def stream(
    http: ClientSession, url: str, signed: list[tuple[bytes, str]], concurrency: int
) -> tuple[float, list[float], list[str]]:
    """Post every signed body; returns events/s, latencies (ms), outcomes."""
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    outcomes: list[str] = []

    async def post(body: bytes, header: str) -> None:
        async with gate:
            began = time.perf_counter()
            async with http.post(url, data=body, headers={"Stripe-Signature": header}) as reply:
                answer = await reply.json()
                if reply.status != 200:
                    raise RuntimeError(f"{reply.status}: {answer}")
            latencies.append((time.perf_counter() - began) * 1000)
            outcomes.append(str(answer.get("outcome", "")))

    began = time.perf_counter()
    await asyncio.gather(*(post(body, header) for body, header in signed))
    return len(signed) / (time.perf_counter() - began), latencies, outcomes


async def settled(payments: int) -> None:
    """Wait until every accepted payment is an order: acknowledging comes first, and the
    orders are settled behind it (core/inbox.py)."""
    deadline = time.monotonic() + 120
    while await Order.filter(status=OrderStatus.PAID).count() < payments:
        if time.monotonic() > deadline:
            raise RuntimeError("the accepted payments were not all settled within 120 s")
        await asyncio.sleep(0.05)


async def measure(url: str, db: str, payments: int, concurrency: int) -> dict[str, object]:
    bodies = await prepare(url, payments)
    shuffled = bodies * 2
    random.Random(7).shuffle(shuffled)
    web_port, baseline_port = free_port(), free_port()
    dropcast = str(Path(sys.executable).parent / "dropcast")
    env = {"DATABASE_URL": url, "STRIPE_WEBHOOK_SECRET": SECRET, "PORT": str(web_port)}
    servers = [
        start([dropcast, "web"], env),
        start([sys.executable, __file__, "--baseline-port", str(baseline_port)], {}),
    ]
    try:
        async with ClientSession() as http:
            await wait_ready(http, f"http://127.0.0.1:{web_port}/healthz")
            await wait_ready(http, f"http://127.0.0.1:{baseline_port}/healthz")
            base = f"http://127.0.0.1:{baseline_port}/webhooks/stripe"
            baseline_per_s, _, _ = await stream(http, base, signed(shuffled), concurrency)
            hooks, deliveries = f"http://127.0.0.1:{web_port}/webhooks/stripe", signed(shuffled)
            began, cpu_before = time.perf_counter(), cpu_seconds(servers[0].pid)
            per_s, latencies, outcomes = await stream(http, hooks, deliveries, concurrency)
            async with database(url):
                await settled(payments)
            settled_s = time.perf_counter() - began
            web_cpu_s = cpu_seconds(servers[0].pid) - cpu_before
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
    async with database(url):
        orders = await Order.filter(status=OrderStatus.PAID).count()
    return {
        "db": db,
        "events": len(shuffled),
        "events_per_s": round(per_s),
        "p99_ms": round(statistics.quantiles(latencies, n=100)[98], 2),
        "orders": orders,
        "duplicates_ignored": outcomes.count("duplicate"),
        "baseline_per_s": round(baseline_per_s),
        "ratio": round(per_s / baseline_per_s, 2),
        "settled_s": round(settled_s, 2),
        "web_cpu_ms_per_payment": round(web_cpu_s * 1000 / payments, 2),
    }


def serve_baseline(port: int) -> None:
    """The yardstick: verify the signature as `dropcast web` does, answer 200, nothing else."""

    async def verify(request: web.Request) -> web.Response:
        body = await request.read()
        verified_event(body, request.headers.get("Stripe-Signature"), SECRET)
        return web.json_response({"outcome": "verified"})

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/webhooks/stripe", verify)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, print=None, loop=new_event_loop())


async def main(args: argparse.Namespace) -> dict[str, object]:
    async with scratch_database(args.db, "dropcast_bench_webhooks") as url:
        return await measure(url, args.db, args.payments, args.concurrency)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--payments", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--baseline-port", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.baseline_port:
        serve_baseline(arguments.baseline_port)
    else:
        print(json.dumps(asyncio.run(main(arguments))))
