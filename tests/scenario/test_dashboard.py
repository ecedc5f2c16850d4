"""The creator's dashboard in a real browser (Debian's Chromium, driven by Playwright): it
refuses anyone without the login, then shows every page of the demo data, each page
screenshotted."""

from __future__ import annotations

import contextvars
import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from bots.database import database
from bots.demo.loader import load
from bots.demo.simulation import Params, simulate
from bots.processes import web_application
from config import load_settings
from core.clock import SystemClock
from core.dashboard import DashboardAccess
from tests.scenario.web_client import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BROWSER_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
PASSWORD = "correct horse battery staple"
PAGES = {
    "overview": ("Conversion lag, every live session", "Weights: live 2"),
    "drops": ("Sample pack", "Each drop's funnel"),
    "sessions": ("Week 12 live", "90% within"),
    "campaigns": ("Campaign #1: Sample pack launch", "95% interval"),
    "fans": ("Revenue per fan by first-purchase week", "not proof"),
}


@pytest.fixture
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("DROPCAST_REQUIRE_BROWSER"):
            pytest.fail(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[str]:
    """`dropcast web` on a real port, over the demo data, with a dashboard password."""
    async with database(database_url):
        await load(simulate(Params(fans=800, seed=5), datetime.now(UTC)))
    config = load_settings(database_url=database_url, dashboard_password=PASSWORD)
    server = TestServer(web_application(config), port=free_port())
    # the web app opens its own database connections, as in its own process
    await contextvars.Context().run(server.start_server)
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@pytest.fixture
async def browser(chromium: str):
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        launched = await driver.chromium.launch(executable_path=chromium, args=BROWSER_FLAGS)
        yield launched
        await launched.close()


async def test_no_page_opens_without_the_login(site):
    async with ClientSession() as client:
        for page in ("", *(f"/{name}" for name in list(PAGES)[1:])):
            async with client.get(f"{site}/dashboard{page}", allow_redirects=False) as reply:
                assert (reply.status, reply.headers["Location"]) == (303, "/dashboard/login")
                assert "Sample pack" not in await reply.text()
        forged = {"Cookie": "dropcast_dashboard=made-up"}
        async with client.get(f"{site}/dashboard", headers=forged, allow_redirects=False) as r:
            assert r.status == 303
        wrong = [await client.post(f"{site}/dashboard/login", data={"password": "guess"})
                 for _ in range(6)]  # fmt: skip
        assert [r.status for r in wrong] == [401] * 5 + [429]
        assert "Too many wrong passwords" in await wrong[-1].text()


async def test_the_creator_logs_in_and_reads_every_page(site, browser, tmp_path):
    page = await browser.new_page(viewport={"width": 1200, "height": 900})
    await page.goto(f"{site}/dashboard")
    assert page.url.endswith("/dashboard/login")  # refused, sent to log in
    await page.fill("input[name=password]", "not it")
    await page.click("button")
    assert "not the dashboard password" in await page.inner_text("main")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button")
    assert page.url.endswith("/dashboard")
    for name, expected in PAGES.items():
        await page.goto(f"{site}/dashboard" + ("" if name == "overview" else f"/{name}"))
        text = await page.inner_text("main")
        for words in expected:
            assert words in text, (name, words)
        charts = page.locator(".chart svg")
        if name != "campaigns":
            assert await charts.count() >= 1, name
            box = await charts.first.bounding_box()
            assert box is not None
            assert box["width"] > 400  # drawn, not an empty placeholder
        shot = tmp_path / f"dashboard-{name}.png"
        await page.screenshot(path=str(shot), full_page=True)
        assert shot.read_bytes().startswith(b"\x89PNG")
    await page.click("text=Log out")
    assert page.url.endswith("/dashboard/login")
    await page.goto(f"{site}/dashboard")
    assert page.url.endswith("/dashboard/login")  # the session ended with the logout


async def test_a_one_time_link_opens_the_dashboard_once(site, browser, database_url):
    async with database(database_url):
        link = await DashboardAccess(SystemClock(), site, None).new_link()
    first = await browser.new_page()
    await first.goto(link)  # a link preview stops here: only the button spends the link
    await first.click("text=Open the dashboard")
    assert first.url.endswith("/dashboard")
    assert "Overview" in await first.inner_text("h1")
    second = await browser.new_page()
    await second.goto(link)
    await second.click("text=Open the dashboard")
    assert "used already" in await second.inner_text("main")
    assert not second.url.endswith("/dashboard")
