"""A 10,000-fan campaign sent by a real `dropcast clock` process to the fake Telegram Bot API
set to 300 messages/s overall and 1/s per chat (Telegram's 30/s scaled up so the run is
short), then a second campaign whose clock is killed mid-run and restarted. With `--drop`,
each campaign is as a creator writes one: it names an open drop, its countdown, and a link
of the fan's own to it (a tracked short link per DM). Prints one JSON object.

    python bench/broadcast.py --db sqlite|postgres [--fans 10000] [--limit 300] [--drop]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from cpu import cpu_seconds  # bench/cpu.py, beside this script

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bots.bootstrap import bootstrap
from bots.database import database, migrate
from config import load_settings
from core.campaigns.segments import Segment
from core.drops.specs import TierSpec
from core.kinds import DeliveryStatus, Platform
from core.models import Delivery, Fan, PlatformAccount
from core.money import parse_price
from tests.databases import scratch_database
from tests.peers.telegram_bot_api import TelegramBotApi

BLOCKED_EVERY = 100  # one fan in a hundred blocked the bot: skipped, never retried
DROPCAST = str(Path(sys.executable).parent / "dropcast")


async def prepare(url: str, fans: int) -> None:
    await migrate(url)
    async with database(url):
        await Fan.bulk_create(
            [Fan(display_name=f"Fan {n}", dm_opt_in=True) for n in range(fans)], batch_size=1000
        )
        ids = await Fan.all().order_by("id").values_list("id", flat=True)
        await PlatformAccount.bulk_create(
            [
                PlatformAccount(fan_id=fan_id, platform=Platform.TELEGRAM, platform_user_id=str(n))
                for n, fan_id in enumerate(ids, start=1)
            ],
            batch_size=1000,
        )


async def campaign(url: str, name: str, drop: bool) -> None:
    async with database(url):
        core = bootstrap(load_settings(database_url=url)).core
        if not drop:
            await core.campaigns.create(name, Segment(), [f"{name}: hello {{name}}"])
            return
        tier = TierSpec("Print", "digital", parse_price("5.00 EUR"), 100, 1, "CODE")
        made = await core.drops.open((await core.drops.create(f"{name} drop", [tier])).id)
        template = f"{name}: hello {{name}}, {{drop}} is {{countdown}}: {{link}}"
        await core.campaigns.create(name, Segment(), [template], drop_id=made.id)


def clock(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [DROPCAST, "clock"], env=os.environ | env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def settled(url: str, name: str) -> Counter[str]:
    """Wait until none of the campaign's deliveries is queued or being sent."""
    async with database(url):
        mine = Delivery.filter(campaign__name=name)
        while await mine.filter(  # noqa: ASYNC110 (another process's progress)
            status__in=(DeliveryStatus.QUEUED, DeliveryStatus.SENDING)
        ).exists():
            await asyncio.sleep(0.2)
        return Counter(await mine.values_list("status", flat=True))


async def timed_sends(peer: TelegramBotApi, expected: int) -> tuple[int, float]:
    """Messages the peer accepted (only this campaign's are being sent), and the seconds
    from the first to the last."""
    await peer.wait_for(lambda: peer.sent, seconds=120)
    began = last = time.monotonic()
    count = len(peer.sent)
    while count < expected:
        await asyncio.sleep(0.005)
        if len(peer.sent) != count:
            count, last = len(peer.sent), time.monotonic()
        elif time.monotonic() - last > 10:
            break
    return count, last - began


async def measure(url: str, db: str, fans: int, limit: int, drop: bool) -> dict[str, object]:
    await prepare(url, fans)
    # the peer stands in for Telegram's servers: what this process built so far is kept out
    # of the collector's sweeps, so a sweep's pause does not bunch the requests it answers
    gc.freeze()
    async with TelegramBotApi(overall_per_second=limit, chat_per_second=1) as peer:
        peer.blocked = {n for n in range(1, fans + 1) if n % BLOCKED_EVERY == 0}
        env = {
            "DATABASE_URL": url, "TELEGRAM_TOKEN": peer.token, "TELEGRAM_API_BASE_URL": peer.url,
            "TELEGRAM_MESSAGES_PER_SECOND": str(limit), "QUIET_HOURS": "00:00-00:00",
            "DM_WEEKLY_CAP": "10", "LOG_LEVEL": "warning",
        }  # fmt: skip
        reachable = fans - len(peer.blocked)
        await campaign(url, "First", drop)
        process = clock(env)
        try:
            sent_seen, seconds = await timed_sends(peer, reachable)
            first = await settled(url, "First")
            clock_cpu_s = cpu_seconds(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)
        # the second campaign's clock is killed a third of the way through, then restarted
        await campaign(url, "Second", drop)
        process = clock(env)
        await peer.wait_for(lambda: len(peer.sent) > sent_seen + reachable // 3, seconds=120)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        process = clock(env)
        try:
            second = await settled(url, "Second")
        finally:
            process.terminate()
            process.wait(timeout=30)
    per_chat = Counter((m.chat_id, m.text.split(":")[0]) for m in peer.sent)
    rate = (sent_seen - 1) / seconds if seconds else 0.0
    return {
        "db": db,
        "drop": drop,
        "fans": fans,
        "sent": first["sent"],
        "skipped": first["skipped"],
        "duplicates": sum(n - 1 for n in per_chat.values()),
        "rate_per_s": round(rate, 1),
        "limit_per_s": limit,
        "rate_ratio": round(rate / limit, 3),
        "http_429": peer.too_many,
        # everything the clock did from its start: its imports, the campaign's planning
        "clock_cpu_ms_per_dm": round(clock_cpu_s * 1000 / max(first["sent"], 1), 2),
        "resumed": {"sent": second["sent"], "interrupted": second["failed"]},
    }


async def main(args: argparse.Namespace) -> dict[str, object]:
    async with scratch_database(args.db, "dropcast_bench_broadcast") as url:
        return await measure(url, args.db, args.fans, args.limit, args.drop)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--fans", type=int, default=10_000)
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--drop", action="store_true", help="campaigns link to a drop")
    print(json.dumps(asyncio.run(main(parser.parse_args()))))
