"""The edge: `dropcast web` as production runs it, loaded with `wrk` at 200 connections on a
signed pay link `/l/{code}` and on a drop's page `/d/{code}`, in the same run as a bare
aiohttp app that only answers a fixed redirect (the yardstick). Prints one JSON object:
requests/s and p99 per route, each route's rate as a share of the yardstick's, and whether
every tap wrk saw answered was counted, once the last batch was written (core/offer_taps.py).

    python bench/edge.py [--db sqlite|postgres] [--seconds 10] [--connections 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from aiohttp import ClientSession, web
from cpu import cpu_seconds  # bench/cpu.py, beside this script
from webhooks import free_port, start, wait_ready  # bench/webhooks.py, beside this script

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tortoise.functions import Count

from bots.bootstrap import bootstrap
from bots.cli import new_event_loop
from bots.database import database, migrate
from config import load_settings
from core.drops.specs import TierSpec
from core.models import OfferTap
from core.money import parse_price
from core.offers import Offer
from tests.databases import scratch_database

EXACT = 20_000  # taps in the counted burst
TARGET_SHARE = 0.8  # of the yardstick's requests/s
TARGET_P99_MS = 20.0
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


async def prepare(url: str) -> tuple[str, dict[str, str]]:
    """One open drop; returns its code and two signed offers for its tier, by source: one
    for wrk's load, one for the counted burst."""
    await migrate(url)
    async with database(url):
        core = bootstrap(load_settings(database_url=url)).core
        tier = TierSpec("Print", "physical", parse_price("25.00 EUR"), 500, 1, "")
        drop = await core.drops.open((await core.drops.create("Bench drop", [tier])).id)
        expires = core.clock.now() + timedelta(days=1)
        codes = {}
        for source in ("load", "exact"):
            offer = Offer(drop.code, expires, tier_id=drop.tiers[0].id, source=source)
            codes[source] = await core.offers.code(offer)
        return drop.code, codes


def load(url: str, seconds: int, connections: int) -> dict[str, float]:
    """`wrk -t2 -c{connections} -d{seconds}s --latency url`: requests/s, p99, counts."""
    run = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    text = run.stdout
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.MULTILINE)
    done = re.search(r"^\s+(\d+) requests in", text, re.MULTILINE)
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.MULTILINE)
    if not (p99 and done and rate):
        raise RuntimeError(f"wrk said:\n{text}{run.stderr}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    return {
        "requests_per_s": round(float(rate.group(1))),
        "p99_ms": round(float(p99.group(1)) * UNITS_MS[p99.group(2)], 2),
        "requests": int(done.group(1)),
        "not_2xx_3xx": int(bad.group(1)) if bad else 0,
        "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
    }


async def written_taps(url: str) -> dict[str, int]:
    """The taps in the database by source, once the batches (written every second) have
    stopped growing for three seconds."""
    async with database(url):
        last: dict[str, int] = {}
        steady_since = time.monotonic()
        while time.monotonic() - steady_since < 3:
            await asyncio.sleep(0.25)
            counts = OfferTap.all().group_by("source").annotate(n=Count("id"))
            now = dict(await counts.values_list("source", "n"))
            if now != last:
                last, steady_since = now, time.monotonic()
        return {"load": last.get("load", 0), "exact": last.get("exact", 0)}


def verdict(route: dict[str, float], yardstick: dict[str, float]) -> dict[str, object]:
    share = route["requests_per_s"] / yardstick["requests_per_s"]
    return route | {
        "share_of_bare": round(share, 2),
        "meets_targets": share >= TARGET_SHARE and route["p99_ms"] < TARGET_P99_MS,
    }


async def burst(http: ClientSession, url: str, count: int, connections: int) -> int:
    """GET `url` `count` times over `connections` at once; how many were redirected. wrk
    leaves its last requests unread when its time is up (the server answered and counted
    them), so exact counting is checked with a known number of requests, each read."""
    gate = asyncio.Semaphore(connections)

    async def tap() -> bool:
        async with gate, http.get(url, allow_redirects=False) as reply:
            return reply.status == 302

    return sum(await asyncio.gather(*(tap() for _ in range(count))))


async def measure(
    url: str, db: str, seconds: int, connections: int, rounds: int
) -> dict[str, object]:
    drop_code, codes = await prepare(url)
    web_port, bare_port = free_port(), free_port()
    dropcast = str(Path(sys.executable).parent / "dropcast")
    servers = [
        start([dropcast, "web"], {"DATABASE_URL": url, "PORT": str(web_port)}),
        start([sys.executable, __file__, "--bare-port", str(bare_port)], {}),
    ]
    web_url, bare_url = f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{bare_port}"
    routes = {
        "bare_redirect": (f"{bare_url}/l/fixed", servers[1].pid),
        "pay_link": (f"{web_url}/l/{codes['load']}", servers[0].pid),
        "drop_page": (f"{web_url}/d/{drop_code}", servers[0].pid),
    }
    best: dict[str, dict[str, float]] = {}
    completed: dict[str, int] = {}
    try:
        async with ClientSession() as http:
            await wait_ready(http, f"{web_url}/healthz")
            await wait_ready(http, f"{bare_url}/healthz")
            async with http.get(routes["drop_page"][0]) as reply:
                page_status = reply.status
            if page_status != 200:
                del routes["drop_page"]
            for _ in range(rounds):  # interleaved: the machine's other load hits each alike
                for name, (target, pid) in routes.items():
                    before = cpu_seconds(pid)
                    figures = await asyncio.to_thread(load, target, seconds, connections)
                    used = cpu_seconds(pid) - before
                    figures["cpu_us_per_request"] = round(used * 1e6 / figures["requests"], 1)
                    completed[name] = completed.get(name, 0) + int(figures["requests"])
                    if figures["requests_per_s"] > best.get(name, {}).get("requests_per_s", 0):
                        best[name] = figures
            answered = await burst(http, f"{web_url}/l/{codes['exact']}", EXACT, connections)
        written = await written_taps(url)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
    bare = best["bare_redirect"]
    page: dict[str, object] = {"missing": f"GET /d/{{code}} answered {page_status}"}
    if "drop_page" in best:
        page = verdict(best["drop_page"], bare)
    return {
        "db": db,
        "machine": machine(),
        "connections": connections,
        "seconds": seconds,
        "rounds": rounds,
        "bare_redirect": bare,
        "pay_link": verdict(best["pay_link"], bare),
        "drop_page": page,
        "taps": {
            "wrk_completed": completed["pay_link"],
            "written_for_wrk": written["load"],  # plus what wrk sent but stopped reading
            "burst_answered": answered,
            "written_for_burst": written["exact"],
        },
        "taps_counted_exactly": written["exact"] == answered == EXACT
        and 0 <= written["load"] - completed["pay_link"] <= connections * rounds,
    }


def machine() -> str:
    cpus = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpus, re.MULTILINE)
    return f"{os.cpu_count()} cores, {model.group(1).strip() if model else 'unknown CPU'}"


def serve_bare(port: int) -> None:
    """The yardstick: a fixed redirect, and nothing else, on the same loop `dropcast web`
    runs on."""

    async def redirect(_: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "/d/fixed"})

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/l/{code}", redirect)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, print=None, loop=new_event_loop())


async def main(args: argparse.Namespace) -> dict[str, object]:
    async with scratch_database(args.db, "dropcast_bench_edge") as url:
        return await measure(url, args.db, args.seconds, args.connections, args.rounds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2, help="Each route's best round counts.")
    parser.add_argument("--bare-port", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.bare_port:
        serve_bare(arguments.bare_port)
    else:
        print(json.dumps(asyncio.run(main(arguments))))
