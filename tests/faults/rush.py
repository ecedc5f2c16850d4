"""A drop's rush over several real processes, killed at random: two `dropcast web` taking
Stripe's webhooks and one `dropcast clock`, on one PostgreSQL database, sending receipts to
the fake Telegram Bot API. Every Stripe event is sent twice, shuffled, spread over both web
processes, and sent again until a process acknowledges it, as Stripe does. Meanwhile other
fans buy a Stars tier through `dropcast telegram` (long polling the fake Bot API), and others
a card-paid tier through `dropcast discord` (on the fake gateway; each pay link a Checkout
session on our Stripe peer, whose payment Stripe's webhook reports), trying again when the
bot does not answer; the clock sends a campaign's DMs to every fan who
rushed, and the reminders of a live session they all signed up for, which the creator
starts mid-rush. Each process is killed with SIGKILL at seeded moments and started again, as a
process manager would. `run` returns the figures the fault
test asserts and bench/faults.py prints.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import stripe
from aiohttp import ClientError, ClientSession, ClientTimeout
from aiohttp.test_utils import TestServer
from yarl import URL

from adapters.telegram.stars import StarsLedger
from bots.bootstrap import bootstrap
from bots.database import database
from config import load_settings
from core.campaigns.segments import Segment
from core.claims import INTERRUPTED
from core.clock import SystemClock
from core.drops.specs import TierSpec
from core.errors import SoldOut
from core.kinds import DeliveryStatus, NoticeStatus, OrderStatus, Platform
from core.models import (
    Delivery,
    DropTier,
    Fan,
    LedgerEntry,
    Notice,
    Order,
    PlatformAccount,
    ProviderEvent,
    Rsvp,
)
from core.money import parse_price
from tests.eventually import eventually
from tests.peers.discord_api import DiscordApi
from tests.peers.stripe_checkout import StripeCheckoutPeer
from tests.peers.telegram_bot_api import Invoice, Sent, TelegramBotApi

SECRET = "whsec_faults"
DROPCAST = str(Path(sys.executable).parent / "dropcast")
FIRST_CHAT = 5000
FIRST_STARS_CHAT = 9000
FIRST_DISCORD_FAN = 830000000000000000  # the peer's bot is 8000…01
DISCORD_LATENCY = (0.01, 0.03)
TRIES = 6  # a fan whose tap the bot does not answer (it is down) tries again, this often
SETTLE_SECONDS = 90.0
CAMPAIGN = "Thanks for rushing"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Process:
    """One `dropcast` process, started again after each kill."""

    name: str
    command: list[str]
    env: dict[str, str]
    port: int | None = None
    running: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        self.running = subprocess.Popen(
            [DROPCAST, *self.command], env=os.environ | self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.starts += 1

    def kill(self) -> None:
        assert self.running is not None
        self.running.send_signal(signal.SIGKILL)
        self.running.wait(timeout=30)

    def stop(self) -> None:
        if self.running is not None and self.running.poll() is None:
            self.running.terminate()
            try:
                self.running.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Rush:
    seed: int
    fans: int
    stock: int
    kills: int
    stars_fans: int = 0  # who buy a Stars tier through the Telegram bot meanwhile
    stars_stock: int = 0
    discord_fans: int = 0  # who buy a card-paid tier through the Discord bot meanwhile
    discord_stock: int = 0
    discord_tier: int = 0
    discord_charged: int = 0
    kills_done: list[dict[str, object]] = field(default_factory=list)
    deliveries: int = 0
    redeliveries: int = 0
    stars_charged: int = 0
    stars_code: str = ""
    session_id: int = 0


async def prepare(url: str, rush: Rush) -> list[bytes]:
    """Fans on Telegram who said yes to DMs, a drop of `stock` units, the fans' rush for
    them (each fan who got a hold pays once) and a campaign to every one of them, for the
    clock to send. Returns the Stripe events of those payments."""
    async with database(url):
        core = bootstrap(load_settings(database_url=url)).core
        tier = TierSpec("Print", "digital", parse_price("5.00 EUR"), rush.stock, 1, "CODE")
        drop = await core.drops.open((await core.drops.create("Rush", [tier], hold_minutes=60)).id)
        await Fan.bulk_create(
            [Fan(display_name=f"Fan {n}", dm_opt_in=True) for n in range(rush.fans)]
        )
        fan_ids = list(await Fan.all().order_by("id").values_list("id", flat=True))
        await PlatformAccount.bulk_create([
            PlatformAccount(fan_id=fan_id, platform=Platform.TELEGRAM,
                            platform_user_id=str(FIRST_CHAT + n))
            for n, fan_id in enumerate(fan_ids)
        ])  # fmt: skip
        holds = []
        for fan_id in fan_ids:
            with contextlib.suppress(SoldOut):
                holds.append(await core.holds.reserve(drop.tiers[0].id, fan_id))
        if rush.stars_fans:
            stars = TierSpec("Wallpapers", "digital", parse_price("150 XTR"), rush.stars_stock, 1,
                             "https://files.example/wallpapers.zip")  # fmt: skip
            made = await core.drops.create("Rush in Stars", [stars], hold_minutes=60)
            rush.stars_code = (await core.drops.open(made.id)).code
        if rush.discord_fans:
            card = TierSpec("Discord print", "digital", parse_price("5.00 EUR"),
                            rush.discord_stock, 1, "DISCORD-CODE")  # fmt: skip
            made = await core.drops.create("Rush on Discord", [card], hold_minutes=60)
            rush.discord_tier = (await core.drops.open(made.id)).tiers[0].id
        await core.campaigns.create(CAMPAIGN, Segment(platform="telegram"), [f"{CAMPAIGN}!"])
        # within ten minutes of its start: the clock owes each fan "soon", then "now"
        starts = core.clock.now() + timedelta(minutes=5)
        rush.session_id = (await core.live.schedule("Rush live", starts)).id
        for fan_id in fan_ids:
            await core.live_reminders.rsvp(rush.session_id, fan_id)
    return [_completed(hold.id, hold.price.minor) for hold in holds]


def _completed(hold_id: int, amount: int) -> bytes:
    session = {
        "id": f"cs_{hold_id}", "object": "checkout.session", "client_reference_id": str(hold_id),
        "payment_intent": f"pi_{hold_id}", "payment_status": "paid", "amount_total": amount,
        "currency": "eur",
    }  # fmt: skip
    event = {"id": f"evt_{hold_id}", "object": "event", "type": "checkout.session.completed",
             "data": {"object": session}}  # fmt: skip
    return json.dumps(event).encode()


async def run(url: str, rush: Rush) -> dict[str, Any]:
    events = await prepare(url, rush)
    random_ = random.Random(rush.seed)
    deliveries = events * 2
    random_.shuffle(deliveries)
    kill_at = sorted(random_.sample(range(1, len(deliveries)), rush.kills))
    stripe = StripeCheckoutPeer(SystemClock())
    async with (
        TelegramBotApi() as peer,
        DiscordApi(latency=DISCORD_LATENCY) as discord,
        TestServer(stripe.app, host="127.0.0.1") as stripe_server,
    ):
        env = {
            "DATABASE_URL": url, "STRIPE_WEBHOOK_SECRET": SECRET, "TELEGRAM_TOKEN": peer.token,
            "TELEGRAM_API_BASE_URL": peer.url, "LOG_LEVEL": "warning",
            "DISCORD_TOKEN": discord.token, "DISCORD_API_BASE_URL": discord.api_base,
            "DISCORD_GATEWAY_URL": discord.gateway_url,
            "QUIET_HOURS": "00:00-00:00",  # the campaign goes now, whatever the hour
        }  # fmt: skip
        webs = [Process(f"web-{n}", ["web"], env | {"PORT": str(port)}, port)
                for n, port in ((1, free_port()), (2, free_port()))]  # fmt: skip
        processes = [*webs, Process("clock", ["clock"], env)]
        if rush.stars_fans:
            processes.append(Process("telegram", ["telegram"], env))
        if rush.discord_fans:
            stripe_base = str(stripe_server.make_url("")).rstrip("/")
            pay_links = {"STRIPE_SECRET_KEY": "sk_test_faults", "STRIPE_API_BASE": stripe_base,
                         "PUBLIC_BASE_URL": "https://shop.example"}  # fmt: skip
            processes.append(Process("discord", ["discord"], env | pay_links))
        for process in processes:
            process.start()
        try:
            async with ClientSession(timeout=ClientTimeout(total=10)) as http:
                for web in webs:
                    await _ready(http, web)
                began = time.monotonic()
                buying = [asyncio.create_task(_buys_in_stars(peer, rush, FIRST_STARS_CHAT + n))
                          for n in range(rush.stars_fans)]  # fmt: skip
                cards = Cards(discord, stripe, http, webs, rush, random_)
                buying += [asyncio.create_task(cards.buy(str(FIRST_DISCORD_FAN + n)))
                           for n in range(rush.discord_fans)]  # fmt: skip
                await _goes_live(url, rush.session_id)
                await _deliver(http, rush, deliveries, webs, processes, kill_at, random_)
                await asyncio.gather(*buying)
                delivered_s = time.monotonic() - began
                await _reconcile_stars(url, peer)
                await _settled(url, len(events) + rush.stars_charged + rush.discord_charged)
                settled_s = time.monotonic() - began
        finally:
            for process in processes:
                process.stop()
        receipts = Counter(m.chat_id for m in peer.sent if m.text.startswith("Paid: "))
        receipts += Counter(
            discord.dm_channels[m.channel_id] for m in discord.messages
            if m.channel_id in discord.dm_channels and m.text().startswith("Paid: ")
        )  # fmt: skip
        campaign_dms = Counter(m.chat_id for m in peer.sent if m.text.startswith(CAMPAIGN))
        reminders = Counter((m.chat_id, m.text) for m in peer.sent if "Rush live" in m.text)
    return {
        "seed": rush.seed, "fans": rush.fans, "stock": rush.stock, "payments": len(events),
        "stars_fans": rush.stars_fans, "stars_stock": rush.stars_stock,
        "stars_charged": rush.stars_charged, "discord_fans": rush.discord_fans,
        "discord_stock": rush.discord_stock, "discord_charged": rush.discord_charged,
        "deliveries": rush.deliveries, "redeliveries": rush.redeliveries,
        "kills": rush.kills_done, "delivered_s": round(delivered_s, 2),
        "settled_s": round(settled_s, 2),
        **await _books(url), "receipts": sum(receipts.values()),
        "fans_with_two_receipts": sum(1 for n in receipts.values() if n > 1),
        "campaign_dms": sum(campaign_dms.values()),
        "fans_with_two_campaign_dms": sum(1 for n in campaign_dms.values() if n > 1),
        "http_429": peer.too_many,
        "reminders": sum(reminders.values()),
        "reminders_twice": sum(1 for n in reminders.values() if n > 1),
    }  # fmt: skip


async def _ready(http: ClientSession, web: Process) -> None:
    async def healthy() -> bool:
        async with http.get(f"http://127.0.0.1:{web.port}/healthz") as reply:
            return reply.status == 200

    await eventually(
        healthy, seconds=60, ignoring=(ClientError, OSError), what=f"{web.name} to answer"
    )


async def _deliver(
    http: ClientSession,
    rush: Rush,
    deliveries: list[bytes],
    webs: list[Process],
    processes: list[Process],
    kill_at: list[int],
    random_: random.Random,
) -> None:
    """Each delivery to a web process picked at random, again until one answers 200; the
    next kill is made once that many deliveries were acknowledged."""
    pending = list(deliveries)
    while pending:
        body = pending.pop(0)
        if not await _post(http, rush, body, random_.choice(webs)):
            pending.append(body)  # Stripe tries again later, maybe another process gets it
            await asyncio.sleep(0.05)
            continue
        done = len(deliveries) - len(pending)
        while kill_at and done >= kill_at[0]:
            kill_at.pop(0)
            victim = random_.choice(processes)
            victim.kill()
            rush.kills_done.append({"process": victim.name, "after_acknowledged": done})
            victim.start()
            if victim.port is not None:
                await _ready(http, victim)


async def _post(http: ClientSession, rush: Rush, body: bytes, web: Process) -> bool:
    """One delivery of a Stripe event, signed as Stripe signs it; whether it was
    acknowledged."""
    signature = stripe.WebhookSignature.generate_signature_header(body.decode(), SECRET)
    rush.deliveries += 1
    try:
        async with http.post(
            f"http://127.0.0.1:{web.port}/webhooks/stripe", data=body,
            headers={"Stripe-Signature": signature},
        ) as reply:  # fmt: skip
            if reply.status == 200:
                return True
    except (ClientError, OSError, TimeoutError):
        pass
    rush.redeliveries += 1
    return False


@dataclass
class Cards:
    """Fans buying the card-paid tier through the Discord bot: a tap on the drop post's Buy,
    the pay link followed through our short link, paid on Stripe's page; Stripe then reports
    the payment to the web processes, at least twice, until one acknowledges it."""

    discord: DiscordApi
    stripe: StripeCheckoutPeer
    http: ClientSession
    webs: list[Process]
    rush: Rush
    random_: random.Random

    async def buy(self, fan: str) -> None:
        """What the bot does not answer (it was killed) the fan taps again, as people do."""
        for _ in range(TRIES):
            with contextlib.suppress(TimeoutError):
                if await self._taps_buy(fan) in ("paid", "sold out"):
                    return

    async def _taps_buy(self, fan: str) -> str:
        tapped = await self.discord.taps_buy(fan, self.rush.discord_tier)
        reply = await self.discord.reply_to(tapped, seconds=8)
        pay = next((b for b in reply.buttons() if b.get("label") == "Pay now"), None)
        if pay is None:
            return "sold out" if "sold out" in reply.text() else "no"
        event = await self.stripe.complete(await self._session(URL(pay["url"]).path))
        self.rush.discord_charged += 1
        body = json.dumps(event).encode()
        for _ in range(2):  # Stripe delivers at least once, again until acknowledged
            for _ in range(200):
                if await _post(self.http, self.rush, body, self.random_.choice(self.webs)):
                    break
                await asyncio.sleep(0.05)
        return "paid"

    async def _session(self, short_path: str) -> str:
        """The Checkout session our short link leads to, asked of whichever web process
        answers (one may be down)."""

        async def led_to() -> str | None:
            web = self.random_.choice(self.webs)
            async with self.http.get(
                f"http://127.0.0.1:{web.port}{short_path}", allow_redirects=False
            ) as reply:
                if reply.status in (302, 303, 307):
                    return str(reply.headers["Location"].rsplit("/", 1)[-1])
            return None

        return await eventually(
            led_to,
            seconds=10,
            ignoring=(ClientError, OSError, TimeoutError),
            what="a web process to lead the pay link somewhere",
        )


async def _buys_in_stars(peer: TelegramBotApi, rush: Rush, fan: int) -> None:
    """A fan opens the drop's link in the bot, taps Buy and pays; what the bot does not
    answer (it was killed) they try again, as people do."""
    for _ in range(TRIES):
        with contextlib.suppress(TimeoutError):
            outcome = await _tries_once(peer, rush, fan)
            rush.stars_charged += outcome == "paid"
            if outcome in ("paid", "sold out"):
                return


async def _tries_once(peer: TelegramBotApi, rush: Rush, fan: int) -> str:
    before = len(peer.to(fan))
    await peer.user_sends(fan, f"/start drop_{rush.stars_code}")
    card = await peer.wait_for(lambda: _card(peer, fan, before), seconds=8)
    # "Pay for your …": the fan holds a unit already (the bot was killed before the invoice)
    buy = next((b for b in card.buttons() if b["text"].startswith(("Buy", "Pay for"))), None)
    if buy is None:  # the card offers the waitlist instead: it sold out
        return "sold out"
    invoices = len(_invoices(peer, fan))
    await peer.user_taps(fan, card, buy["callback_data"])
    await peer.wait_for(lambda: len(_invoices(peer, fan)) > invoices, seconds=8)
    return "paid" if await peer.user_pays(fan, _invoices(peer, fan)[-1], within=8) else "no"


def _invoices(peer: TelegramBotApi, fan: int) -> list[Invoice]:
    return [invoice for invoice in peer.invoices if invoice.chat_id == fan]


def _card(peer: TelegramBotApi, fan: int, after: int) -> Sent | None:
    return next((m for m in peer.to(fan)[after:] if m.reply_markup), None)


async def _goes_live(url: str, session_id: int) -> None:
    """The creator starts the session (`dropcast live start`), the rush still going."""
    async with database(url):
        await bootstrap(load_settings(database_url=url)).core.live.start(session_id)


async def _reconcile_stars(url: str, peer: TelegramBotApi) -> None:
    """What the clock does every 10 minutes, done now: a payment whose update a killed bot
    took but never handled becomes its order."""
    settings = load_settings(
        database_url=url, telegram_token=peer.token, telegram_api_base_url=peer.url
    )
    async with database(url):
        app = bootstrap(settings)
        assert app.telegram is not None
        await StarsLedger(app.telegram, app.core.payments, app.core.clock).reconcile()
        await app.close()


async def _settled(url: str, payments: int) -> None:
    """Until every kept event is handled, every live reminder is owed, and no notice or
    campaign DM is waiting or being sent."""

    async def settled() -> bool:
        unhandled = await ProviderEvent.filter(due_at__isnull=False).count()
        waiting = await Notice.filter(
            status__in=(NoticeStatus.QUEUED, NoticeStatus.SENDING)
        ).count()
        sending = await Delivery.filter(
            status__in=(DeliveryStatus.QUEUED, DeliveryStatus.SENDING)
        ).count()
        sending += await Rsvp.filter(reminded_start_at__isnull=True).count()
        paid = await Order.filter(status=OrderStatus.PAID).count()
        return not unhandled and not waiting and not sending and paid >= payments

    async with database(url):
        await eventually(settled, seconds=SETTLE_SECONDS, what="the rush to settle")


async def _books(url: str) -> dict[str, object]:
    """What the fault test checks, read from the database."""
    async with database(url):
        tier = await DropTier.get(name="Print")
        paid = await Order.filter(status=OrderStatus.PAID).count()
        ledger = await LedgerEntry.all().values_list("fan_id", "reason", "source_id")
        notices = Counter(await Notice.all().values_list("status", flat=True))
        failed = await Notice.filter(status=NoticeStatus.FAILED).values_list("reason", flat=True)
        interrupted = Notice.filter(subscriber="dm.receipt", reason=INTERRUPTED)
        return {
            "orders": await Order.all().count(),
            "stars_orders": await Order.filter(provider="telegram_stars", status="paid").count(),
            "discord_orders": await Order.filter(
                tier__name="Discord print", status=OrderStatus.PAID
            ).count(),
            "paid": paid,
            "distinct_payments": len(set(await Order.all().values_list("payment_id", flat=True))),
            "available": tier.available,
            "sold_and_held": tier.stock - tier.available,
            "ledger_entries": len(ledger),
            "ledger_duplicates": len(ledger) - len(set(ledger)),
            "unhandled_events": await ProviderEvent.filter(due_at__isnull=False).count(),
            "notices": {str(status): n for status, n in notices.items()},
            "failed_without_reason": sum(1 for reason in failed if not reason),
            "receipts_interrupted": await interrupted.count(),
            "campaign": dict(Counter(await Delivery.all().values_list("status", flat=True))),
            "reminders_owed": await Notice.filter(subscriber="dm.live_reminder").count(),
            "reminders_interrupted": await Notice.filter(
                subscriber="dm.live_reminder", reason=INTERRUPTED
            ).count(),
        }
