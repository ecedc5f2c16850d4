"""Does `dropcast web` keep answering links while the dashboard renders? A real web process
over `dropcast demo-data` (3,000 fans, 12 weeks): tracked-link taps at a steady rate, first
alone, then while two browsers keep reloading the dashboard's pages. Prints one JSON object:
the taps' p50/p99 in each phase and the dashboard pages served.

    python bench/dashboard.py [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from aiohttp import ClientSession, CookieJar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.databases import scratch_database
from tests.faults.rush import free_port

DROPCAST = str(Path(sys.executable).parent / "dropcast")
PAGES = ("", "/sessions", "/drops", "/campaigns", "/fans")
TAPS_PER_SECOND = 50


def dropcast(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [DROPCAST, *args], env=os.environ | env, capture_output=True, text=True, check=True
    )
    return done.stdout


def start_web(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [DROPCAST, "web"], env=os.environ | env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def taps(http: ClientSession, url: str, seconds: float) -> list[float]:
    """Link taps at a steady rate; each one's answer time in ms."""
    took: list[float] = []

    async def tap() -> None:
        began = time.perf_counter()
        async with http.get(url, allow_redirects=False) as reply:
            assert reply.status in (301, 302, 303, 307), reply.status
        took.append((time.perf_counter() - began) * 1000)

    pending = []
    for _ in range(int(seconds * TAPS_PER_SECOND)):
        pending.append(asyncio.create_task(tap()))
        await asyncio.sleep(1 / TAPS_PER_SECOND)
    await asyncio.gather(*pending)
    return took


async def browse(http: ClientSession, base: str, stop: asyncio.Event) -> int:
    served = 0
    while not stop.is_set():
        for page in PAGES:
            async with http.get(f"{base}/dashboard{page}") as reply:
                assert reply.status == 200, reply.status
                assert "/login" not in reply.url.path, "the dashboard asked to log in"
                await reply.read()
            served += 1
    return served


def figures(took: list[float]) -> dict[str, float]:
    ordered = sorted(took)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 2),
        "max_ms": round(ordered[-1], 2),
    }


async def measure(seconds: float) -> dict[str, object]:
    async with scratch_database("sqlite", "dropcast_bench_dashboard") as url:
        port = free_port()
        env = {"DATABASE_URL": url, "PORT": str(port), "LOG_LEVEL": "warning",
               "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}  # fmt: skip
        dropcast(env, "migrate")
        dropcast(env, "demo-data")
        link = dropcast(env, "link", "create", "https://example.com/drop").splitlines()[0]
        entry = dropcast(env, "dashboard").strip()
        web = start_web(env)
        base = f"http://127.0.0.1:{port}"
        try:
            # the session cookie comes from an IP address: aiohttp keeps it only when told
            async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as http:
                for _ in range(600):
                    try:
                        async with http.get(f"{base}/healthz") as reply:
                            if reply.status == 200:
                                break
                    except OSError:
                        pass
                    await asyncio.sleep(0.05)
                async with http.post(entry) as reply:  # the one-time link logs this session in
                    assert reply.status == 200, reply.status
                alone = await taps(http, link, seconds)
                stop = asyncio.Event()
                browsers = [asyncio.create_task(browse(http, base, stop)) for _ in range(2)]
                await asyncio.sleep(2)  # the first report is made before the taps start
                busy = await taps(http, link, seconds)
                stop.set()
                pages = sum(await asyncio.gather(*browsers))
        finally:
            web.terminate()
            web.wait(timeout=30)
    return {
        "taps_per_s": TAPS_PER_SECOND, "seconds": seconds,
        "taps_alone": figures(alone), "taps_while_dashboard_renders": figures(busy),
        "dashboard_pages_served": pages,
    }  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15.0)
    print(json.dumps(asyncio.run(measure(parser.parse_args().seconds)), indent=2))
