"""A rush as it comes: `--fans` fans tap Buy at once on one tier of `--units` units, through
each bot as a real process against its platform's peer. Prints one JSON object per platform.

* Telegram: `dropcast telegram` long polling the fake Bot API (30 messages a second overall,
  1 a second per chat, 429 past either), on a Stars tier: how long each tap waited for its
  answer, and when the last offer (the invoice) arrived against the `units / 30` seconds
  Telegram's rate allows for one message per offer.
* Discord: `dropcast discord` on the fake gateway and REST API (each call 40-120 ms, a tap
  unanswered after 3 s is lost), on a card-paid tier whose pay links are Stripe Checkout
  sessions (our Checkout peer in front of localstripe): how long each tap waited for its
  first response (Discord's deadline) and for its offer, the pay link.

    python bench/rush.py [--fans 300] [--units 100] [--platform telegram|discord|both]
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

from aiohttp.test_utils import TestServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bots.bootstrap import bootstrap
from bots.database import database, migrate
from config import load_settings
from core.clock import SystemClock
from core.drops.specs import TierSpec
from core.money import parse_price
from tests.databases import scratch_database
from tests.peers.discord_api import DiscordApi
from tests.peers.localstripe import localstripe
from tests.peers.stripe_checkout import StripeCheckoutPeer
from tests.peers.telegram_bot_api import Sent, TelegramBotApi

DROPCAST = str(Path(sys.executable).parent / "dropcast")
FIRST_FAN = 7000
FIRST_DISCORD_FAN = 830000000000000000  # the peer's bot is 8000…01
TELEGRAM_PER_SECOND = 30
DISCORD_LATENCY = (0.04, 0.12)  # seconds per REST call, as measured from a small server
DISCORD_DEADLINE = 3.0


async def prepare(url: str, units: int, price: str) -> int:
    """A drop open with one digital tier at `price`; returns the tier's id."""
    await migrate(url)
    async with database(url):
        core = bootstrap(load_settings(database_url=url)).core
        tier = TierSpec(
            "Wallpapers", "digital", parse_price(price), units, 1, "https://x.example/w.zip"
        )
        drop = await core.drops.open((await core.drops.create("Rush", [tier])).id)
        return drop.tiers[0].id


def start_bot(platform: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [DROPCAST, platform], env=os.environ | env | {"LOG_LEVEL": "warning"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def stop(bot: subprocess.Popen[bytes]) -> None:
    bot.terminate()
    bot.wait(timeout=30)


def spread(waits: list[float], prefix: str) -> dict[str, float]:
    ordered = sorted(waits)
    return {
        f"{prefix}_p50_s": round(statistics.median(ordered), 3),
        f"{prefix}_p99_s": round(ordered[int(len(ordered) * 0.99) - 1], 3),
        f"{prefix}_max_s": round(ordered[-1], 3),
    }


async def tap(peer: TelegramBotApi, fan: int, tier_id: int) -> str:
    """One fan's tap on Buy in the drop's card; the query the bot is to answer."""
    card = Sent(fan, 1, "Rush", {"inline_keyboard": [[{"text": "Buy", "callback_data": "x"}]]})
    return await peer.user_taps(fan, card, f"buy:{tier_id}")


async def telegram_rush(fans: int, units: int) -> dict[str, object]:
    async with scratch_database("sqlite", "dropcast_bench_rush") as url:
        tier_id = await prepare(url, units, "150 XTR")
        async with TelegramBotApi() as peer:
            bot = start_bot("telegram", {"DATABASE_URL": url, "TELEGRAM_TOKEN": peer.token,
                                         "TELEGRAM_API_BASE_URL": peer.url})  # fmt: skip
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
                stop(bot)
        offers_per_fan = len(peer.invoices) / units
        messages = sum(1 for m in peer.sent if m.chat_id >= FIRST_FAN)
    allowed = units / TELEGRAM_PER_SECOND
    return {
        "fans": fans, "units": units, **spread(waits, "answer"),
        "messages_per_offer": round(messages / units, 2), "invoices_per_offer": offers_per_fan,
        "last_offer_s": round(last_offer, 2), "allowed_s": round(allowed, 2),
        "last_offer_ratio": round(last_offer / allowed, 2), "http_429": peer.too_many,
    }  # fmt: skip


async def discord_rush(fans: int, units: int) -> dict[str, object]:
    with localstripe() as upstream:
        async with scratch_database("sqlite", "dropcast_bench_rush_discord") as url:
            tier_id = await prepare(url, units, "4.00 EUR")
            stripe = StripeCheckoutPeer(SystemClock(), upstream)
            async with (
                TestServer(stripe.app, host="127.0.0.1") as stripe_server,
                DiscordApi(latency=DISCORD_LATENCY) as peer,
            ):
                env = {"DATABASE_URL": url, "DISCORD_TOKEN": peer.token,
                       "DISCORD_API_BASE_URL": peer.api_base,
                       "DISCORD_GATEWAY_URL": peer.gateway_url,
                       "STRIPE_SECRET_KEY": "sk_test_rush",
                       "STRIPE_API_BASE": str(stripe_server.make_url("")).rstrip("/"),
                       "PUBLIC_BASE_URL": "https://shop.example"}  # fmt: skip
                bot = start_bot("discord", env)
                try:
                    await peer.wait_connected(seconds=60)
                    await asyncio.sleep(1)  # its commands synced, its buttons registered
                    taps = await asyncio.gather(*(
                        peer.taps_buy(str(FIRST_DISCORD_FAN + n), tier_id) for n in range(fans)
                    ))  # fmt: skip
                    replied = lambda: all(t in peer.replied_after for t in taps)  # noqa: E731
                    await peer.wait_for(replied, seconds=120)
                finally:
                    stop(bot)
            offers = [t for t in taps if "Pay now" in str(peer.responses[t][0].components)]
    first = [peer.answered_after[t] for t in taps if t in peer.answered_after]
    return {
        "fans": fans, "units": units, **spread(first, "answer"),
        **spread([peer.replied_after[t] for t in taps], "reply"),
        "offers": len(offers), "sessions": len(stripe.sessions),
        "last_offer_s": round(max(peer.replied_after[t] for t in offers), 2),
        "late": sum(1 for wait in first if wait > DISCORD_DEADLINE),
        "unanswered": fans - len(first), "refused": len(peer.refusals),
    }  # fmt: skip


async def main(args: argparse.Namespace) -> dict[str, object]:
    figures: dict[str, object] = {}
    if args.platform in ("telegram", "both"):
        figures["telegram"] = await telegram_rush(args.fans, args.units)
    if args.platform in ("discord", "both"):
        figures["discord"] = await discord_rush(args.fans, args.units)
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fans", type=int, default=300)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--platform", choices=("telegram", "discord", "both"), default="both")
    print(json.dumps(asyncio.run(main(parser.parse_args())), indent=2))
