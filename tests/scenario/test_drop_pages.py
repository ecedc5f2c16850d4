"""A drop's public page over HTTP, served as `dropcast web` serves it: what it shows in each
state, its cache headers and ETag, its structured data, the sitemap, and its Buy button:
a hold and a 303 to the payment page; bad input, a forged offer, a sold-out or unopened tier,
an address at its limit: a clear answer and nothing changed."""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import ClientSession, CookieJar
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict

from bots.web_process import web_application
from config import load_settings
from core.drops.order_rows import PaymentReceived
from core.drops.public import set_image
from core.drops.web_buyers import OPEN_HOLDS_PER_ADDRESS
from core.kinds import HoldStatus
from core.models import DropTier, Fan, Reservation
from core.money import Money
from core.offers import Offer
from tests.builders import fans, open_drop, tier
from tests.scenario.web_client import free_port

PAGE_BUDGET = 30 * 1024
BASE = "http://drops.example.com"  # the public address pages name (canonical, sitemap)
LD_JSON = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@asynccontextmanager
async def serving(world, **settings: Any) -> AsyncIterator[str]:
    """`dropcast web` on a real port, on the test's clock and memory adapters; its address.
    `pay_links=None` leaves payments unconfigured, as production without Stripe."""
    ports: dict[str, Any] = {"pay_links": world.pay_links}
    ports.update({k: settings.pop(k) for k in ("pay_links",) if k in settings})
    config = load_settings(
        database_url=world.app.settings.database_url, public_base_url=BASE, **settings
    )
    if ports["pay_links"] is None:
        del ports["pay_links"]
    application = web_application(config, clock=world.clock, messenger=world.messenger, **ports)
    server = TestServer(application, port=free_port())
    await contextvars.Context().run(server.start_server)
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@pytest.fixture
async def site(world) -> AsyncIterator[str]:
    async with serving(world) as url:
        yield url


def browser() -> ClientSession:
    """One browser: it keeps its cookies (the buyer's), on 127.0.0.1 too."""
    return ClientSession(cookie_jar=CookieJar(unsafe=True))


async def a_drop(world, *tiers):
    return await open_drop(
        world.core,
        *(tiers or (tier("Signed print", stock=20), tier("Sticker", price="5.00 EUR"))),
    )


async def get(url: str, **headers: str) -> tuple[int, CIMultiDict[str], str]:
    async with ClientSession() as client, client.get(url, headers=headers) as reply:
        return reply.status, CIMultiDict(reply.headers), await reply.text()


def structured(page: str) -> dict[str, Any]:
    [data] = LD_JSON.findall(page)
    return json.loads(data)


def availability(page: str) -> list[str]:
    return [offer["availability"].rsplit("/", 1)[1] for offer in structured(page)["offers"]]


async def changes() -> tuple[int, int, list[int]]:
    """What a refused tap must leave as it was: fans, holds, and every tier's stock."""
    stock = await DropTier.all().order_by("id").values_list("available", flat=True)
    return await Fan.all().count(), await Reservation.all().count(), list(stock)  # type: ignore[arg-type]


async def test_the_page_shows_the_drop_small_cacheable_and_buyable_without_javascript(site, world):
    drop = await a_drop(
        world,
        tier("Sticker", price="5.00 EUR"),
        tier("Signed print", stock=20, member_price="20.00 EUR"),
    )
    status, headers, page = await get(f"{site}/d/{drop.code}")
    assert status == 200
    assert len(page.encode()) < PAGE_BUDGET
    control = headers["Cache-Control"]
    assert control.startswith("public")
    assert "s-maxage=" in control
    assert "stale-while-revalidate=" in control
    assert re.fullmatch(r'"[0-9a-f]+"', headers["ETag"])  # strong: no W/
    assert "<h1>Winter drop</h1>" in page
    assert "Open now" in page
    assert "From 5.00 EUR" in page
    # the most valuable tier first, the member price beside the price, stock as "n of m"
    assert page.index("Signed print") < page.index("<h2>Sticker")
    assert "members: 20.00 EUR" in page
    assert "20 of 20 left" in page
    forms = re.findall(
        r'<form method="post" action="/d/([^"]+)/buy">\s*<input[^>]*value="(\d+)"', page
    )
    assert forms == [(drop.code, str(t.id)) for t in reversed(drop.tiers)]
    assert f'<link rel="canonical" href="{BASE}/d/{drop.code}">' in page
    assert f'<meta property="og:image" content="{BASE}/d/{drop.code}.png">' in page
    assert '<meta property="product:price:amount" content="5.00">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    data = structured(page)
    assert (data["@type"], data["name"]) == ("Product", "Winter drop")
    assert [(o["price"], o["priceCurrency"]) for o in data["offers"]] == [
        ("25.00", "EUR"),
        ("5.00", "EUR"),
    ]
    assert availability(page) == ["InStock", "InStock"]


async def test_the_same_bytes_again_are_a_304(site, world):
    drop = await a_drop(world)
    _, headers, _ = await get(f"{site}/d/{drop.code}")
    etag = headers["ETag"]
    for asked in (etag, f"W/{etag}", f'"other", {etag}'):
        status, again, body = await get(f"{site}/d/{drop.code}", **{"If-None-Match": asked})
        assert (status, again["ETag"], body) == (304, etag, "")
        assert again["Cache-Control"].startswith("public")
    status, _, _ = await get(f"{site}/d/{drop.code}", **{"If-None-Match": '"other"'})
    assert status == 200


async def test_200_requests_at_once_render_the_page_once(site, world, caplog):
    drop = await a_drop(world)
    caplog.set_level(logging.DEBUG, logger="tortoise")
    async with ClientSession() as client:

        async def one() -> tuple[int, str]:
            async with client.get(f"{site}/d/{drop.code}") as reply:
                return reply.status, reply.headers["ETag"]

        replies = await asyncio.gather(*(one() for _ in range(200)))
    assert {status for status, _ in replies} == {200}
    assert len({etag for _, etag in replies}) == 1
    reads = [r for r in caplog.records if 'FROM "drop"' in r.getMessage()]
    assert len(reads) == 1


async def test_the_page_stays_a_second_then_shows_the_new_stock(site, world):
    drop = await a_drop(world, tier(stock=2))
    _, _, before = await get(f"{site}/d/{drop.code}")
    [fan] = await fans(1)
    await world.core.holds.reserve(drop.tiers[0].id, fan)
    _, _, kept = await get(f"{site}/d/{drop.code}")
    assert "2 of 2 left" in before
    assert kept == before
    world.clock.advance(seconds=2)
    _, _, fresh = await get(f"{site}/d/{drop.code}")
    assert "1 of 2 left" in fresh


async def test_each_state_says_so_in_words_and_in_structured_data(site, world):
    made = await world.core.drops.create("Spring drop", [tier(stock=1)])
    status, _, _ = await get(f"{site}/d/{made.code}")
    assert status == 404  # a draft is nobody's business yet
    opens = world.clock.now() + timedelta(hours=2, minutes=5, seconds=2)
    await world.core.drops.schedule(made.id, opens)
    world.clock.advance(seconds=2)  # past the second the 404 was kept
    _, _, page = await get(f"{site}/d/{made.code}")
    assert "Opens <time" in page
    assert "in 2 h 5 min</time>" in page
    assert f'datetime="{opens.isoformat()}"' in page
    assert "<form" not in page
    assert "disabled>Opens in 2 h 5 min" in page
    assert availability(page) == ["PreOrder"]
    await world.core.drops.open(made.id)
    [fan] = await fans(1)
    await world.core.holds.reserve(made.tiers[0].id, fan)  # the last unit: sold out
    world.clock.advance(seconds=2)
    _, _, page = await get(f"{site}/d/{made.code}")
    assert "Sold out" in page
    assert "<form" not in page
    assert availability(page) == ["SoldOut"]
    await world.core.drops.close(made.id)
    world.clock.advance(seconds=2)
    _, _, page = await get(f"{site}/d/{made.code}")
    assert "This drop has closed" in page
    assert "<form" not in page
    assert availability(page) == ["Discontinued"]


async def test_stars_and_member_only_tiers_lead_to_the_bot(site, world):
    drop = await a_drop(
        world,
        tier("Stars pack", price="250 XTR", kind="digital"),
        tier("Backstage", members_only=True),
    )
    _, _, page = await get(f"{site}/d/{drop.code}")
    bot = f"https://example.com/drops/{drop.id}"  # the memory messenger's drop link
    assert f'<a class="go" href="{bot}">Buy in Telegram (Stars)</a>' in page
    assert f'<a class="go" href="{bot}">Members only: join in the bot</a>' in page
    assert "<form" not in page


async def test_the_live_stock_is_tiny_json_cached_for_a_second(site, world):
    drop = await a_drop(world)
    status, headers, body = await get(f"{site}/d/{drop.code}/stock.json")
    assert status == 200
    assert headers["Cache-Control"] == "public, max-age=1, s-maxage=1"
    assert json.loads(body) == {"tiers": {str(t.id): t.stock for t in drop.tiers}}
    status, _, _ = await get(f"{site}/d/nosuchdrop/stock.json")
    assert status == 404


async def test_unknown_drops_are_404(site):
    for path in ("/d/nosuchdrop", "/d/nosuchdrop.png", "/d/nosuchdrop?o=x"):
        status, _, page = await get(f"{site}{path}")
        assert status == 404
        assert "This drop does not exist" in page


async def test_the_preview_image_is_the_creators_or_a_generated_card(site, world):
    drop = await a_drop(world)
    _status, _headers, _ = await get(f"{site}/d/{drop.code}")
    async with ClientSession() as client, client.get(f"{site}/d/{drop.code}.png") as reply:
        png = await reply.read()
        assert (reply.status, reply.content_type) == (200, "image/png")
        assert reply.headers["Cache-Control"].startswith("public")
    assert png.startswith(b"\x89PNG")
    await set_image(drop.id, "https://cdn.example/winter.jpg")
    world.clock.advance(seconds=2)
    _, _, page = await get(f"{site}/d/{drop.code}")
    assert '<meta property="og:image" content="https://cdn.example/winter.jpg">' in page
    assert structured(page)["image"] == "https://cdn.example/winter.jpg"


async def test_the_sitemap_lists_open_and_upcoming_drops_and_robots_point_at_it(site, world):
    shown = await a_drop(world)
    upcoming = await world.core.drops.create("Spring drop", [tier()])
    await world.core.drops.schedule(upcoming.id, world.clock.now() + timedelta(days=1))
    await world.core.drops.create("Draft drop", [tier()])
    ended = await a_drop(world)
    await world.core.drops.close(ended.id)
    status, headers, body = await get(f"{site}/sitemap.xml")
    assert status == 200
    assert headers["Content-Type"].startswith("application/xml")
    urls = ET.fromstring(body).findall(f"{SITEMAP}url")
    assert [u.findtext(f"{SITEMAP}loc") for u in urls] == [
        f"{BASE}/d/{shown.code}",
        f"{BASE}/d/{upcoming.code}",
    ]
    assert all(u.findtext(f"{SITEMAP}lastmod", "").startswith("2026-") for u in urls)
    _, _, robots = await get(f"{site}/robots.txt")
    for path in ("/l/", "/dashboard", "/scan", "/p/"):
        assert f"Disallow: {path}\n" in robots
    assert f"Sitemap: {BASE}/sitemap.xml" in robots


async def test_tap_one_holds_and_goes_to_the_payment_page_and_again_gets_the_same_hold(site, world):
    drop = await a_drop(world)
    tier_id = drop.tiers[0].id
    async with browser() as fan:
        taps = []
        for _ in range(2):
            async with fan.post(
                f"{site}/d/{drop.code}/buy", data={"tier": str(tier_id)}, allow_redirects=False
            ) as reply:
                taps.append((reply.status, reply.headers["Location"]))
    [hold] = await Reservation.all()
    assert taps == [(303, f"sandbox://pay/{hold.id}")] * 2
    assert (hold.tier_id, hold.status) == (tier_id, HoldStatus.HELD)
    buyer = await Fan.get(id=hold.fan_id).prefetch_related("accounts")
    assert list(buyer.accounts) == []  # a web buyer: no platform account
    async with (
        browser() as other,
        other.post(
            f"{site}/d/{drop.code}/buy", data={"tier": str(tier_id)}, allow_redirects=False
        ) as reply,
    ):
        assert reply.status == 303
    assert await Reservation.all().count() == 2  # another browser is another buyer


@pytest.mark.parametrize(
    ("form", "status", "says"),
    [
        ({"tier": "999999"}, 400, "This drop has no tier #999999."),
        ({"tier": "x"}, 400, "Choose a tier to buy."),
        ({}, 400, "Choose a tier to buy."),
        ({"tier": "{tier}", "o": "forged.offer"}, 400, "This personal link is not valid"),
    ],
)
async def test_bad_taps_say_why_and_change_nothing(site, world, form, status, says):
    drop = await a_drop(world)
    before = await changes()
    form = {k: v.format(tier=drop.tiers[0].id) for k, v in form.items()}
    async with browser() as fan, fan.post(f"{site}/d/{drop.code}/buy", data=form) as reply:
        assert reply.status == status
        assert says in await reply.text()
        assert "dropcast_buyer" not in reply.cookies
    assert await changes() == before


async def test_sold_out_and_unopened_tiers_say_so_and_change_nothing(site, world):
    drop = await a_drop(world, tier(stock=1))
    [fan] = await fans(1)
    await world.core.holds.reserve(drop.tiers[0].id, fan)
    later = await world.core.drops.create("Spring drop", [tier()])
    await world.core.drops.schedule(later.id, world.clock.now() + timedelta(hours=1))
    before = await changes()
    async with browser() as web:
        for made, says in ((drop, "sold out"), (later, "Spring drop opens at")):
            url = f"{site}/d/{made.code}/buy"
            async with web.post(url, data={"tier": str(made.tiers[0].id)}) as reply:
                assert reply.status == 409
                assert says in await reply.text()
        async with web.post(f"{site}/d/nosuchdrop/buy", data={"tier": "1"}) as reply:
            assert reply.status == 404
    assert await changes() == before


async def test_one_address_holds_a_few_units_at_most(site, world):
    drop = await a_drop(world, tier(stock=10))
    url, form = f"{site}/d/{drop.code}/buy", {"tier": str(drop.tiers[0].id)}
    statuses = []
    for _ in range(OPEN_HOLDS_PER_ADDRESS + 1):
        async with browser() as script, script.post(url, data=form, allow_redirects=False) as r:
            statuses.append(r.status)
            page = await r.text()
    assert statuses == [303] * OPEN_HOLDS_PER_ADDRESS + [429]
    assert f"already holds {OPEN_HOLDS_PER_ADDRESS} units" in page
    [left] = await DropTier.all().values_list("available", flat=True)
    assert left == 10 - OPEN_HOLDS_PER_ADDRESS
    world.clock.advance(minutes=11)  # the holds lapse: the address may hold again
    await world.core.holds.expire_due()
    async with browser() as script, script.post(url, data=form, allow_redirects=False) as r:
        assert r.status == 303


async def test_without_payments_set_up_the_page_says_so_and_holds_nothing(world):
    drop = await a_drop(world)
    async with serving(world, pay_links=None) as site, browser() as fan:
        url = f"{site}/d/{drop.code}/buy"
        async with fan.post(url, data={"tier": str(drop.tiers[0].id)}) as reply:
            assert reply.status == 503
            assert "Payments are not set up yet" in await reply.text()
    assert [t.available for t in await DropTier.all().order_by("id")] == [20, 10]
    assert await Reservation.filter(status=HoldStatus.HELD).count() == 0


async def test_a_personal_offer_shows_the_fans_price_privately_and_holds_for_them(site, world):
    drop = await a_drop(world, tier(stock=5, member_price="20.00 EUR"))
    [fan] = await fans(1)
    offer = Offer(drop.code, world.clock.now() + timedelta(days=1), fan_id=fan, member=True)
    code = await world.core.offers.code(offer)
    status, headers, page = await get(f"{site}/d/{drop.code}?o={code}")
    assert status == 200
    assert headers["Cache-Control"].startswith("private")
    assert '<span class="was">25.00 EUR</span> 20.00 EUR' in page
    assert f'name="o" value="{code}"' in page
    async with browser() as web:
        url = f"{site}/d/{drop.code}/buy"
        data = {"tier": str(drop.tiers[0].id), "o": code}
        async with web.post(url, data=data, allow_redirects=False) as reply:
            assert reply.status == 303
    [hold] = await Reservation.all()
    assert hold.fan_id == fan  # for the fan the offer names; the price is the database's
    _, headers, page = await get(f"{site}/d/{drop.code}?o={code[:-2]}xx")  # tampered
    assert headers["Cache-Control"].startswith("private")
    assert "This personal link is not valid any more" in page
    assert "25.00 EUR" in page
    world.clock.advance(days=2)  # expired
    _, _, page = await get(f"{site}/d/{drop.code}?o={code}")
    assert "This personal link is not valid any more" in page


async def test_the_paid_page_shows_the_goods_to_the_buyers_browser_only(site, world):
    drop = await a_drop(world, tier("Sample pack", kind="digital", content="https://files/x.zip"))
    async with browser() as web:
        url = f"{site}/d/{drop.code}/buy"
        async with web.post(url, data={"tier": str(drop.tiers[0].id)}, allow_redirects=False):
            pass
        [hold] = await Reservation.all()
        async with web.get(f"{site}/paid?hold={hold.id}") as reply:
            page = await reply.text()
            assert reply.headers["Cache-Control"] == "private, no-store"
            assert "being confirmed" in page
            assert 'http-equiv="refresh"' in page
        await world.core.payments.settle(
            PaymentReceived("pi_1", "stripe", hold.id, Money(2500, "EUR"))
        )
        async with web.get(f"{site}/paid?hold={hold.id}") as reply:
            page = await reply.text()
            assert "Payment received" in page
            assert "https://files/x.zip" in page
        async with web.get(f"{site}/not-paid?hold={hold.id}") as reply:
            assert f'href="/d/{drop.code}"' in await reply.text()
    _, _, elsewhere = await get(f"{site}/paid?hold={hold.id}")
    assert "Payment received" in elsewhere
    assert "x.zip" not in elsewhere
    for bad in ("", "x", "999999"):
        status, _, _ = await get(f"{site}/paid?hold={bad}")
        assert status == 404


async def test_a_fan_from_the_bots_is_told_the_item_comes_by_dm(site, world):
    drop = await a_drop(world, tier("Sample pack", kind="digital"))
    [fan] = await fans(1)
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    await world.core.payments.settle(PaymentReceived("pi_2", "stripe", hold.id, Money(2500, "EUR")))
    _, _, page = await get(f"{site}/paid?hold={hold.id}")
    assert "come by direct message" in page
    assert ".zip" not in page


async def test_a_physical_tier_offers_shipping_or_a_pop_up(site, world):
    drop = await a_drop(world, tier(stock=5), tier("Sample pack", kind="digital"))
    now = world.clock.now()
    market = await world.core.pop_ups.create(
        drop.id, "Corner market", now + timedelta(days=1), now + timedelta(days=1, hours=3)
    )
    _, _, page = await get(f"{site}/d/{drop.code}")
    assert page.count('name="pickup"') == 2  # the physical tier's form only
    assert '<input type="radio" name="pickup" value="" checked> Ship it to me' in page
    assert f'value="{market.id}"> Pick up at Corner market, 02 Jan 12:00 to 15:00 UTC' in page
    url = f"{site}/d/{drop.code}/buy"
    before = await changes()
    async with browser() as web:
        for pickup in ("999999", "nope"):
            data = {"tier": str(drop.tiers[0].id), "pickup": pickup}
            async with web.post(url, data=data) as reply:
                assert reply.status == 400
        assert await changes() == before
        data = {"tier": str(drop.tiers[0].id), "pickup": str(market.id)}
        async with web.post(url, data=data, allow_redirects=False) as reply:
            assert reply.status == 303
    [hold] = await Reservation.all()
    assert hold.pop_up_id == market.id


async def test_behind_a_proxy_the_limit_counts_the_address_it_names(world):
    drop = await a_drop(world, tier(stock=10))
    form = {"tier": str(drop.tiers[0].id)}
    statuses = []
    async with serving(world, client_address_header="X-Forwarded-For") as site:
        url = f"{site}/d/{drop.code}/buy"
        for n in range(OPEN_HOLDS_PER_ADDRESS + 1):  # the visitor's own first entry is theirs
            headers = {"X-Forwarded-For": f"10.0.0.{n}, 203.0.113.7"}
            async with (
                browser() as script,
                script.post(url, data=form, headers=headers, allow_redirects=False) as r,
            ):
                statuses.append(r.status)
        async with browser() as other:
            headers = {"X-Forwarded-For": "203.0.113.8"}
            async with other.post(url, data=form, headers=headers, allow_redirects=False) as r:
                statuses.append(r.status)
    assert statuses == [303] * OPEN_HOLDS_PER_ADDRESS + [429, 303]


async def test_a_signed_early_access_offer_opens_the_buttons_before_the_opening(site, world):
    made = await world.core.drops.create("Spring drop", [tier(members_only=True)])
    await world.core.drops.schedule(made.id, world.clock.now() + timedelta(hours=1))
    [fan] = await fans(1)
    signed = Offer(made.code, world.clock.now() + timedelta(days=1), fan_id=fan, early=True)
    _, _, public = await get(f"{site}/d/{made.code}")
    assert "<form" not in public
    _, _, early = await get(f"{site}/d/{made.code}?o={await world.core.offers.code(signed)}")
    assert "Your early access is open" in early
    assert "<form" not in early  # a member-only tier still wants a member
    member = Offer(made.code, signed.expires_at, fan_id=fan, early=True, member=True)
    _, _, page = await get(f"{site}/d/{made.code}?o={await world.core.offers.code(member)}")
    assert f'<input type="hidden" name="tier" value="{made.tiers[0].id}">' in page
    other = Offer("someotherdrop", signed.expires_at, fan_id=fan, early=True, member=True)
    _, _, page = await get(f"{site}/d/{made.code}?o={await world.core.offers.code(other)}")
    assert "This personal link is not valid any more" in page
    assert "<form" not in page
