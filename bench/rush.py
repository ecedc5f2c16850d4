"""A rush as it comes: `--fans` fans tap Buy at once on one Stars tier of `--units` units,
through a real `dropcast telegram` process long polling the fake Bot API (Telegram's 30
messages a second overall, 1 a second per chat, 429 past either). Prints one JSON object:
how long each tap waited for its answer, and when the last offer (the invoice) arrived
against the `units / 30` seconds Telegram's rate allows for one message per offer.

    python bench/rush.py [--fans 300] [--units 100]
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

from scratch import scratch_database  # bench/scratch.py, beside this script

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bots.bootstrap import bootstrap
from bots.database import database, migrate
from config import load_settings
from core.drops.specs import TierSpec
from core.money import parse_price
from tests.peers.telegram_bot_api import Sent, TelegramBotApi

DROPCAST = str(Path(sys.executable).parent / "dropcast")
FIRST_FAN = 7000
TELEGRAM_PER_SECOND = 30


async def prepare(url: str, units: int) -> int:
    """A drop open with one Stars tier; returns the tier's id."""
    await migrate(url)
    async with database(url):
        core = bootstrap(load_settings(database_url=url)).core
        tier = TierSpec(
            "Wallpapers", "digital", parse_price("150 XTR"), units, 1, "https://x.example/w.zip"
        )
        drop = await core.drops.open((await core.drops.create("Rush", [tier])).id)
        return drop.tiers[0].id


def start_bot(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [DROPCAST, "telegram"], env=os.environ | env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def tap(peer: TelegramBotApi, fan: int, tier_id: int) -> str:
    """One fan's tap on Buy in the drop's card; the query the bot is to answer."""
    card = Sent(fan, 1, "Rush", {"inline_keyboard": [[{"text": "Buy", "callback_data": "x"}]]})
    return await peer.user_taps(fan, card, f"buy:{tier_id}")


async def measure(fans: int, units: int) -> dict[str, object]:
    async with scratch_database("sqlite", "dropcast_bench_rush") as url:
        tier_id = await prepare(url, units)
        async with TelegramBotApi() as peer:
            env = {"DATABASE_URL": url, "TELEGRAM_TOKEN": peer.token,
                   "TELEGRAM_API_BASE_URL": peer.url, "LOG_LEVEL": "warning"}  # fmt: skip
            bot = start_bot(env)
            try:
                await peer.wait_for(lambda: peer.commands, seconds=60)  # polling now
                await asyncio.sleep(1)
                began = time.monotonic()
                queries = await asyncio.gather(*(tap(peer, FIRST_FAN + n, tier_id)
                                                 for n in range(fans)))  # fmt: skip
                await peer.wait_for(lambda: len(peer.invoices) >= units, seconds=120)
                last_offer = time.monotonic() - began
                answered = lambda: all(q in peer.answered_after for q in queries)  # noqa: E731
                await peer.wait_for(answered, seconds=120)
                waits = [peer.answered_after[query] for query in queries]
            finally:
                bot.terminate()
                bot.wait(timeout=30)
        offers_per_fan = len(peer.invoices) / units
        messages = sum(1 for m in peer.sent if m.chat_id >= FIRST_FAN)
    ordered = sorted(waits)
    allowed = units / TELEGRAM_PER_SECOND
    return {
        "fans": fans, "units": units,
        "answer_p50_s": round(statistics.median(ordered), 3),
        "answer_p99_s": round(ordered[int(len(ordered) * 0.99) - 1], 3),
        "answer_max_s": round(ordered[-1], 3),
        "messages_per_offer": round(messages / units, 2), "invoices_per_offer": offers_per_fan,
        "last_offer_s": round(last_offer, 2), "allowed_s": round(allowed, 2),
        "last_offer_ratio": round(last_offer / allowed, 2), "http_429": peer.too_many,
    }  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fans", type=int, default=300)
    parser.add_argument("--units", type=int, default=100)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.fans, args.units)), indent=2))
