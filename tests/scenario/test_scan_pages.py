"""The pop-up's pages over HTTP, served as `dropcast web` serves them: the staff link's scan
page and its answers, the pass page for fans and for staff, the list to save, and every
refusal (no, expired or tampered staff link, tampered pass, another pop-up's pass, a refund);
then the same in a real browser at phone size."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from aiohttp import ClientSession, CookieJar
from aiohttp.test_utils import TestServer

from adapters.memory import ManualClock
from bots.web_process import web_application
from config import load_settings
from core.models import PickupPass, PopUp
from tests.pickup_builders import pickup, pop_up, tampered
from tests.scenario.web_client import free_port

HOURS = timedelta(hours=6)
PHONE_SIZE = {"width": 390, "height": 844}


@asynccontextmanager
async def serving(database_url: str, clock: ManualClock, **settings: object) -> AsyncIterator[str]:
    """`dropcast web` on a real port that is its PUBLIC_BASE_URL; its address."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    base = settings.pop("public_base_url", url)
    config = load_settings(database_url=database_url, public_base_url=base, **settings)
    server = TestServer(web_application(config, clock=clock), port=port)
    await contextvars.Context().run(server.start_server)  # its own database connections
    try:
        yield url
    finally:
        await server.close()


@pytest.fixture
async def site(world, database_url) -> AsyncIterator[str]:
    async with serving(database_url, world.clock) as url:
        yield url


@pytest.fixture
async def client() -> AsyncIterator[ClientSession]:
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as session:
        yield session


async def staff_path(world, pop_up_id: int, name: str = "Sam") -> str:
    link = await world.core.staff_links.make(pop_up_id, name, HOURS)
    return "/scan/" + link.url.rsplit("/scan/", 1)[1]


async def scanned(client, site: str, staff: str, code: str, *, json: bool = False):
    headers = {"Accept": "application/json"} if json else {}
    async with client.post(f"{site}{staff}", data={"code": code}, headers=headers) as reply:
        body = await reply.json() if json else await reply.text()
        return reply.status, body


async def test_the_staff_link_opens_the_scan_page_and_sets_the_staff_cookie(world, site, client):
    here = await pop_up(world.core)
    await pickup(world.core, here)
    staff = await staff_path(world, here)
    async with client.get(f"{site}{staff}") as reply:
        page = await reply.text()
        assert reply.status == 200
        assert reply.headers["Cache-Control"] == "private, no-store"
        cookie = reply.headers["Set-Cookie"]
    shown = ("Pickups at Hall 4, Lyon", "Scanning as Sam", "0 of 1 pickups collected",
             "BarcodeDetector", f'href="{staff}/pickups.csv"')  # fmt: skip
    assert [text for text in shown if text not in page] == []
    for part in ("HttpOnly", "SameSite=Strict", "Path=/", f"Max-Age={6 * 3600}"):
        assert part in cookie
    assert "Secure" not in cookie  # PUBLIC_BASE_URL is http here


async def test_the_staff_cookie_is_secure_when_the_site_is_https(world, database_url, client):
    here = await pop_up(world.core)
    staff = await staff_path(world, here)
    https = {"public_base_url": "https://drops.example.com"}
    async with (
        serving(database_url, world.clock, **https) as site,
        client.get(f"{site}{staff}") as reply,
    ):
        assert "Secure" in reply.headers["Set-Cookie"]


@pytest.mark.parametrize("link", ["tampered", "expired", "pass code", "none"])
async def test_a_bad_staff_link_gets_a_clear_403_and_no_scanning(world, site, client, link):
    here = await pop_up(world.core)
    ada = await pickup(world.core, here)
    staff = await staff_path(world, here)
    if link == "expired":
        world.clock.advance(hours=6)
    path = {
        "tampered": f"/scan/{tampered(staff.removeprefix('/scan/'))}",
        "expired": staff, "pass code": f"/scan/{ada.code}", "none": "/scan/",
    }[link]  # fmt: skip
    async with client.get(f"{site}{path}") as reply:
        page = await reply.text()
        assert reply.status == (404 if link == "none" else 403)
        assert "Set-Cookie" not in reply.headers
    assert "<form" not in page
    assert "BarcodeDetector" not in page
    if link != "none":
        assert "This staff link does not work" in page
        assert await scanned(client, site, path, ada.code) == (403, page)
        async with client.get(f"{site}{path}/pickups.csv") as listed:
            assert listed.status == 403
    assert (await PickupPass.get(id=ada.pass_id)).collected_at is None


async def test_a_staff_link_of_a_pop_up_called_off_opens_no_scanning(world, site, client):
    here = await pop_up(world.core)
    staff = await staff_path(world, here)
    await PopUp.filter(id=here).delete()
    for path in (staff, f"{staff}/pickups.csv"):
        async with client.get(f"{site}{path}") as reply:
            assert reply.status == 403
            assert "This pop-up was called off" in await reply.text()


async def test_each_answer_of_the_scan_page_with_its_status(world, site, client):
    here, there = await pop_up(world.core), await pop_up(world.core, "Dock 9, Nantes")
    ada, bea = await pickup(world.core, here, "Ada"), await pickup(world.core, here, "Bea")
    elsewhere = await pickup(world.core, there, "Cy")
    await world.core.orders.refund(bea.order_id, "gone")
    staff = await staff_path(world, here)
    valid = await scanned(client, site, staff, ada.code)
    assert valid[0] == 200
    assert "Valid — hand over Signed print to Ada" in valid[1]
    world.clock.advance(minutes=2)
    assert await scanned(client, site, staff, ada.code, json=True) == (409, {
        "outcome": "collected", "text": "Already collected at 12:00 UTC by Sam", "ok": False,
    })  # fmt: skip
    answers = {
        elsewhere.code: (409, "Not for this pop-up (it is for Dock 9, Nantes)"),
        bea.code: (409, "Refunded: do not hand over"),
        tampered(ada.code): (404, "Unknown code"),
        "": (404, "Unknown code"),
    }
    for code, (status, text) in answers.items():
        said = await scanned(client, site, staff, code, json=True)
        assert (said[0], said[1]["text"]) == (status, text)
    statuses = await PickupPass.filter(id__in=[bea.pass_id, elsewhere.pass_id]).values_list(
        "collected_at", flat=True
    )
    assert list(statuses) == [None, None]


async def test_two_phones_scanning_at_once_get_one_valid(world, site, client):
    here = await pop_up(world.core)
    ada = await pickup(world.core, here)
    sam, kim = await staff_path(world, here, "Sam"), await staff_path(world, here, "Kim")
    both = await asyncio.gather(
        scanned(client, site, sam, ada.code, json=True),
        scanned(client, site, kim, ada.code, json=True),
    )
    assert sorted(status for status, _ in both) == [200, 409]
    assert [body["outcome"] for _, body in both if body["ok"] is False] == ["collected"]


async def test_the_pickup_list_saves_as_csv_from_the_scan_page(world, site, client):
    here = await pop_up(world.core)
    ada = await pickup(world.core, here, "Ada")
    staff = await staff_path(world, here)
    async with client.get(f"{site}{staff}/pickups.csv") as reply:
        assert reply.status == 200
        assert reply.headers["Content-Disposition"] == f'attachment; filename="pickups-{here}.csv"'
        assert (await reply.text()).splitlines()[1] == (
            f"#{ada.pass_id},Ada,Signed print,1,Waiting for pickup"
        )


async def test_the_pass_page_shows_the_fan_their_qr_code_and_status(world, site, client):
    here = await pop_up(world.core)
    ada = await pickup(world.core, here)
    async with client.get(f"{site}/p/{ada.code}") as reply:
        page = await reply.text()
        assert reply.status == 200
        assert reply.headers["Cache-Control"] == "private, no-store"
    assert "<svg" in page
    assert "<?xml" not in page
    for text in ("Hall 4, Lyon", "01 Jan 12:00", "16:00 UTC", "Signed print", "Waiting for pickup"):
        assert text in page
    assert "Mark collected" not in page
    for path in (f"/p/{tampered(ada.code)}", "/p/nothing", f"/p/{ada.code}x"):
        async with client.get(f"{site}{path}") as missing:
            assert missing.status == 404
            assert "Pass not found" in await missing.text()
    async with client.post(f"{site}/p/{ada.code}") as not_staff:
        assert not_staff.status == 403
        assert "Only staff of this pop-up can mark" in await not_staff.text()
    assert (await PickupPass.get(id=ada.pass_id)).collected_at is None


async def test_staff_mark_a_pass_collected_from_its_page_only_at_their_pop_up(world, site, client):
    here, there = await pop_up(world.core), await pop_up(world.core, "Dock 9, Nantes")
    ada, cy = await pickup(world.core, here, "Ada"), await pickup(world.core, there, "Cy")
    await client.get(f"{site}{await staff_path(world, here)}")  # the staff cookie
    async with client.get(f"{site}/p/{cy.code}") as other:
        assert "Mark collected" not in await other.text()
    async with client.post(f"{site}/p/{cy.code}") as refused:
        assert refused.status == 403
    async with client.get(f"{site}/p/{ada.code}") as page:
        assert "Mark collected" in await page.text()
    async with client.post(f"{site}/p/{ada.code}") as marked:
        page = await marked.text()
        assert marked.status == 200
    assert "Valid — hand over Signed print to Ada" in page
    assert "Collected at 12:00 UTC" in page
    assert "Mark collected" not in page
    async with client.post(f"{site}/p/{ada.code}") as again:
        assert again.status == 409
        assert "Already collected at 12:00 UTC by Sam" in await again.text()
    assert (await PickupPass.get(id=cy.pass_id)).collected_at is None


async def test_at_the_door_on_a_phone(world, site, browser):
    here, there = await pop_up(world.core), await pop_up(world.core, "Dock 9, Nantes")
    ada, bea = await pickup(world.core, here, "Ada"), await pickup(world.core, here, "Bea")
    cy = await pickup(world.core, there, "Cy")
    page = await browser.new_page(viewport=PHONE_SIZE)
    await page.goto(f"{site}{await staff_path(world, here)}")
    answer = page.locator("#answer")
    for code, said in (
        (ada.code, "Valid — hand over Signed print to Ada"),
        (ada.code, "Already collected at 12:00 UTC by Sam"),
        (cy.code, "Not for this pop-up (it is for Dock 9, Nantes)"),
    ):
        await page.fill("input[name=code]", code)
        await page.click("text=Check pass")
        await answer.filter(has_text=said).wait_for()
    await page.goto(f"{site}/p/{bea.code}")  # as the phone's camera app opens a pass's QR
    await page.click("text=Mark collected")
    await page.locator("text=Valid — hand over Signed print to Bea").wait_for()
    assert await page.locator("#status").inner_text() == "Collected at 12:00 UTC"
