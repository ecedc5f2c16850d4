"""Signed pay links over HTTP, served as `dropcast web` serves them: each tap answered with
its drop page, counted exactly once the batch is written, none lost when the process stops
right after; a forged or expired link is the 404 page and counts nothing."""

from __future__ import annotations

import asyncio
import contextvars
from datetime import timedelta

from aiohttp.test_utils import TestClient, TestServer

from adapters.memory import ManualClock
from bots.database import database
from bots.web_process import web_application
from config import load_settings
from core.models import OfferTap
from core.offers import Offer, Offers
from core.signing import Keyring

TAPS = 300


async def signed(database_url: str, clock: ManualClock, **fields: object) -> str:
    async with database(database_url):
        offers = Offers(clock, Keyring(clock), "https://drops.example")
        return await offers.code(Offer("Wntr-Drp", clock.now() + timedelta(days=1), **fields))


async def tapped(database_url: str, clock: ManualClock, paths: list[str]) -> list[tuple]:
    """GET each path at once from a web app that stops as soon as they are answered."""

    async def serve() -> list[tuple]:
        config = load_settings(database_url=database_url)
        async with TestClient(TestServer(web_application(config, clock=clock))) as client:
            replies = await asyncio.gather(
                *(client.get(path, allow_redirects=False) for path in paths)
            )
            return [(r.status, r.headers.get("Location"), await r.text()) for r in replies]

    return await asyncio.create_task(serve(), context=contextvars.Context())


async def counted(database_url: str) -> list[tuple]:
    async with database(database_url):
        return list(await OfferTap.all().values_list("drop_code", "tier_id", "fan_id", "source"))


async def test_taps_at_once_are_each_answered_and_all_counted_when_the_process_stops(
    database_url,
):
    clock = ManualClock()
    code = await signed(database_url, clock, tier_id=3, fan_id=8, source="campaign:2")
    replies = await tapped(database_url, clock, [f"/l/{code}"] * TAPS)
    assert {(status, where) for status, where, _ in replies} == {
        (302, f"/d/Wntr-Drp?o={code}#tier-3")
    }
    # the batch waits up to a second; stopping right after the taps wrote them all
    assert await counted(database_url) == [("Wntr-Drp", 3, 8, "campaign:2")] * TAPS


async def test_a_forged_or_expired_pay_link_is_the_404_page_and_counts_nothing(database_url):
    clock = ManualClock()
    code = await signed(database_url, clock)
    body, _, mac = code.partition(".")
    forged = [f"{body}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}", f"{body}x.{mac}", "a.b"]
    expired = await signed(database_url, ManualClock(clock.now() - timedelta(days=2)))
    replies = await tapped(database_url, clock, [f"/l/{c}" for c in [*forged, expired]])
    assert [status for status, _, _ in replies] == [404] * 4
    assert all("This link does not exist." in text for _, _, text in replies)
    assert await counted(database_url) == []
