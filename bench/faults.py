"""The fault suite's rush at a larger scale (tests/faults/rush.py): two `dropcast web`, a
`dropcast clock`, `dropcast telegram` and `dropcast discord` on a scratch PostgreSQL database,
each killed with SIGKILL at seeded moments and restarted, while every Stripe event is
delivered twice, fans buy in Stars on Telegram and by card on Discord, a campaign goes out
and a live session starts. Prints one JSON object naming
each figure and kill.

    python bench/faults.py [--fans 400] [--stock 250] [--kills 12] [--seed 1]
                           [--stars-fans 40] [--stars-stock 25]
                           [--discord-fans 40] [--discord-stock 25]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bots.database import migrate
from bots.logs import configure_masked
from tests.databases import scratch_database
from tests.faults.rush import Rush, run


async def main(args: argparse.Namespace) -> dict[str, object]:
    async with scratch_database("postgres", "dropcast_bench_faults") as url:
        await migrate(url)
        rush = Rush(
            args.seed, args.fans, args.stock, args.kills, args.stars_fans, args.stars_stock,
            args.discord_fans, args.discord_stock,
        )  # fmt: skip
        return await run(url, rush)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fans", type=int, default=400)
    parser.add_argument("--stock", type=int, default=250)
    parser.add_argument("--kills", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stars-fans", type=int, default=40)
    parser.add_argument("--stars-stock", type=int, default=25)
    parser.add_argument("--discord-fans", type=int, default=40)
    parser.add_argument("--discord-stock", type=int, default=25)
    # stdout is for the figures: what the bench itself logs (reconciling Stars) goes to stderr
    configure_masked([], level=logging.WARNING, file=sys.stderr, json=False)
    print(json.dumps(asyncio.run(main(parser.parse_args())), indent=2))
