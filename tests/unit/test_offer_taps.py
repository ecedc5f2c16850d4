"""Taps on signed pay links (core/offer_taps.py): answered from the code, written in batches,
none lost when a write fails, none counted for a code we did not sign."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from core import sql
from core.analytics.offer_taps import TapCount, tap_counts
from core.models import OfferTap
from core.offer_taps import TapBatch
from core.offers import Offer
from core.privacy import export
from core.short_links import ShortLinks
from tests.builders import fans
from tests.eventually import eventually


def offer(world, **fields) -> Offer:
    return Offer("abc", world.clock.now() + timedelta(days=1), **fields)


async def test_a_tap_leads_to_the_drop_page_at_its_tier_and_is_counted_once_written(world):
    taps = world.core.offer_taps
    code = await world.core.offers.code(offer(world, tier_id=5, source="session:2"))
    assert await taps.follow(code) == f"/d/abc?o={code}#tier-5"
    plain = await world.core.offers.code(offer(world))
    assert await taps.follow(plain) == f"/d/abc?o={plain}"
    assert await OfferTap.all().count() == 0  # the tap wrote nothing
    assert await taps.batch.write() == 2
    assert set(await tap_counts()) == {
        TapCount("abc", "", "", 1, 0),
        TapCount("abc", "", "session:2", 1, 0),
    }


async def test_a_tampered_expired_or_unknown_code_leads_nowhere_and_counts_nothing(world):
    taps = world.core.offer_taps
    code = await world.core.offers.code(offer(world, tier_id=5))
    body, _, mac = code.partition(".")
    refused = [code[:-1] + ("A" if code[-1] != "A" else "B"), f"{body[:-1]}.{mac}", "x.y", "."]
    for forged in refused:
        assert await taps.follow(forged) is None
    assert await taps.follow(code) is not None  # one counted tap, then it expires
    await taps.batch.write()
    world.clock.advance(days=2)
    assert await taps.follow(code) is None
    assert taps.batch.waiting == 0
    assert await OfferTap.all().count() == 1


async def test_an_old_short_link_still_leads_where_it_did(world):
    short = await ShortLinks(world.clock, "https://x.example").shorten(
        "https://shop.example", purpose="manual", ref="shop"
    )
    assert await world.core.offer_taps.follow(short.rsplit("/", 1)[1]) == "https://shop.example"
    assert await world.core.offer_taps.follow("nope") is None


async def test_a_big_batch_is_written_a_thousand_at_a_time_and_counted_exactly(world):
    batch = TapBatch(world.clock, most=100)
    for n in range(250):
        batch.add(offer(world, fan_id=n % 7, source="campaign:1"), world.clock.now())
    assert await batch.write() == 250
    assert [(c.taps, c.known_fans) for c in await tap_counts()] == [(250, 7)]


async def test_a_failed_write_keeps_its_taps_for_the_next_try(world):
    """The database away for a moment (here: the table, renamed): nothing is lost, nothing
    counted twice, and taps that came meanwhile follow."""
    batch = TapBatch(world.clock, most=2)
    for _ in range(3):
        batch.add(offer(world, source="first"), world.clock.now())
    await sql.rows('ALTER TABLE "offer_tap" RENAME TO "offer_tap_away"')
    with pytest.raises(Exception, match="offer_tap"):
        await batch.write()
    assert batch.waiting == 3
    batch.add(offer(world, source="later"), world.clock.now())
    await sql.rows('ALTER TABLE "offer_tap_away" RENAME TO "offer_tap"')
    assert await batch.write() == 4
    assert await OfferTap.all().order_by("id").values_list("source", flat=True) == [
        "first", "first", "first", "later",
    ]  # fmt: skip


async def test_stopping_writes_what_is_waiting(world):
    batch = TapBatch(world.clock, every=60)
    batch.add(offer(world), world.clock.now())
    batch.stop()
    await batch.serve()  # returns at once: the minute has not passed, the tap is written
    assert await OfferTap.all().count() == 1


async def test_a_full_batch_is_written_without_waiting_for_its_time(world):
    batch = TapBatch(world.clock, every=3600, most=3)
    serving = asyncio.create_task(batch.serve())
    for _ in range(3):
        batch.add(offer(world), world.clock.now())
    assert await eventually(lambda: OfferTap.all().count()) == 3  # one statement wrote all
    batch.stop()
    await serving


async def test_a_fans_taps_of_their_own_links_are_in_their_data(world):
    [fan] = await fans(1)
    code = await world.core.offers.code(offer(world, fan_id=fan, source="campaign:3"))
    await world.core.offer_taps.follow(code)
    await world.core.offer_taps.batch.write()
    taps = (await export(fan))["pay_link_taps"]
    assert [(tap["drop_code"], tap["source"]) for tap in taps] == [("abc", "campaign:3")]
