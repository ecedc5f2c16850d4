"""The creator's dashboard in a real browser (Debian's Chromium, driven by Playwright): it
refuses anyone without the login, then shows every page of the demo data on a laptop and on
a phone, and a new creator's empty pages at each step of their first day, each page
screenshotted."""

from __future__ import annotations

import contextvars
import html
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import ClientSession, CookieJar
from aiohttp.test_utils import TestServer

from adapters.memory import ManualClock
from adapters.web.dashboard import FRESH_FOR, templates
from bots.database import database
from bots.demo.loader import load
from bots.demo.simulation import Params, simulate
from bots.web_process import web_application
from config import load_settings
from core.campaigns.segments import Segment
from core.clock import SystemClock
from core.dashboard_access import DashboardAccess
from core.drops.order_rows import PaymentReceived
from core.kinds import Platform
from core.memberships.plans import PlanSpec
from core.models import Fan
from core.money import parse_price
from tests.builders import fans, tier
from tests.scenario.web_client import free_port
from tests.unit.test_memberships import snap

BIN = Path(sys.executable).parent  # where `pip install -e .` put `dropcast`
PASSWORD = "correct horse battery staple"
PAGES = {
    "overview": ("Conversion lag, every live session", "Weights: live 2"),
    "drops": ("Sample pack", "Each drop's funnel"),
    "sessions": ("Week 12 live", "90% within"),
    "campaigns": ("Campaign #1: Sample pack launch", "95% interval"),
    "fans": ("Revenue per fan by first-purchase week", "not proof"),
    "members": ("#1 Backstage club", "Members by month", "Trials that became paid"),
    "access": ("Who holds roles and perk chats",),
    "tokens": ("Perk tokens", "dropcast token mint"),
}
FIRST_DAY = (  # the commands the empty pages suggest, in the order a new creator runs them
    "create_drop", "schedule_drop", "schedule_session", "two_texts", "copy_test", "go_live",
    "open_drop", "end_session",
)  # fmt: skip
NO_SALE_YET = {
    "overview": ("No sales yet: here is how to run your first drop", "dropcast drop create"),
    "drops": ("No drop has opened yet", "dropcast drop open 1"),
    "sessions": ("No session has gone live yet", "dropcast live schedule"),
    "campaigns": ("No A/B test yet", "dropcast campaign create"),
    "fans": ("No buyers yet",),
    "members": ("No membership yet", "dropcast plan create"),
}
LAPTOP = {"width": 1200, "height": 900}
PHONE = {"width": 390, "height": 844}


@asynccontextmanager
async def serving(database_url: str, **overrides: object) -> AsyncIterator[str]:
    """`dropcast web` on a real port, with a dashboard password; its address."""
    config = load_settings(database_url=database_url, dashboard_password=PASSWORD)
    server = TestServer(web_application(config, **overrides), port=free_port())
    # the web app opens its own database connections, as in its own process
    await contextvars.Context().run(server.start_server)
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[str]:
    """The dashboard over the demo data."""
    async with database(database_url):
        await load(simulate(Params(fans=800, seed=5), datetime.now(UTC)))
    async with serving(database_url) as url:
        yield url


@pytest.fixture
async def new_site(database_url: str, clock: ManualClock) -> AsyncIterator[str]:
    """The dashboard over a freshly migrated database, on the test's clock: advancing it
    past `FRESH_FOR` makes the next page show a new report."""
    async with serving(database_url, clock=clock) as url:
        yield url


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


async def test_the_creator_logs_in_and_reads_every_page_on_a_laptop_and_a_phone(
    site, browser, tmp_path
):
    page = await browser.new_page(viewport=LAPTOP)
    await page.goto(f"{site}/dashboard")
    assert page.url.endswith("/dashboard/login")  # refused, sent to log in
    await page.fill("input[name=password]", "not it")
    await page.click("button")
    assert "not the dashboard password" in await page.inner_text("main")
    await log_in(page, site)
    assert page.url.endswith("/dashboard")
    on_a_laptop = await read_every_page(page, site, PAGES, tmp_path / "laptop")
    await page.set_viewport_size(PHONE)
    on_a_phone = await read_every_page(page, site, PAGES, tmp_path / "phone")
    for name in PAGES.keys() - {"campaigns", "access", "tokens"}:  # no chart on these
        assert min(on_a_laptop[name], default=0) > 400, name  # drawn, not a placeholder
        assert min(on_a_phone[name], default=0) > 300, name  # shrunk to fit, still drawn
    await page.click("text=Log out")
    assert page.url.endswith("/dashboard/login")
    await page.goto(f"{site}/dashboard")
    assert page.url.endswith("/dashboard/login")  # the session ended with the logout


async def test_a_new_creator_is_told_what_to_do_next_until_the_first_sale(
    world, new_site, browser, tmp_path
):
    """A creator's first day, as the dashboard shows it on their phone: every page answers
    at every step, and says what to do next until a fan pays."""
    core = world.core
    page = await browser.new_page(viewport=PHONE)
    await log_in(page, new_site)

    async def look(expected: Mapping[str, tuple[str, ...]], shots: str | None = None) -> None:
        world.clock.advance(seconds=FRESH_FOR.total_seconds())  # a new report
        await read_every_page(page, new_site, expected, tmp_path / shots if shots else None)

    await look(NO_SALE_YET, "empty")  # a freshly migrated database
    first, second, third = await fans(3)
    await Fan.filter(id__in=[first, second, third]).update(dm_opt_in=True)
    await look(NO_SALE_YET)
    drop = await core.drops.create("Winter drop", [tier(stock=10)])
    await core.drops.schedule(drop.id, world.clock.now() + timedelta(hours=2))
    session = await core.live.schedule(
        "Friday listening", world.clock.now() + timedelta(hours=1), drop_id=drop.id
    )
    await core.live_reminders.rsvp(session.id, first)
    await look(NO_SALE_YET)  # a drop and a session planned, neither started

    world.clock.advance(hours=1)
    await core.live.start(session.id)
    for listener in (first, second):
        await core.attendance.check_in(listener)
    await core.drops.open(drop.id)
    await core.holds.reserve(drop.tiers[0].id, first)
    live = {
        "overview": NO_SALE_YET["overview"],
        "drops": ("#1 Winter drop", "0/10"),
        "sessions": ("#1 Friday listening", "No paid order after a live session yet"),
    }
    await look(live)  # live, listened to, a unit held, nothing paid

    world.clock.advance(minutes=30)
    await core.live.end(session.id)
    await core.campaigns.create(
        "After the show", Segment.from_words(f"listened={session.id}"),
        ["Only a few left, {name}: {link}", "{name}, this one is yours? {link}"],
        drop_id=drop.id,
    )  # fmt: skip
    while await core.outbox.drain(Platform.SANDBOX):
        pass
    after = {**live, "campaigns": ("Campaign #1: After the show", "no one has bought")}
    await look(after, "before-the-first-sale")  # ended, the listeners DMed, nothing paid

    hold = await core.holds.reserve(drop.tiers[0].id, second)
    await core.payments.settle(PaymentReceived("pi_1", "sandbox", hold.id, hold.price))
    await look({"overview": ("Revenue (EUR)", "25.00 EUR"), "fans": ("0 of 1 buyers",)})
    assert "No sales yet" not in await page.inner_text("main")  # the first sale ends the guide


async def test_the_access_page_shows_what_the_access_report_found(world, new_site):
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as client:  # 127.0.0.1
        await client.post(f"{new_site}/dashboard/login", data={"password": PASSWORD})
        async with client.get(f"{new_site}/dashboard/access") as reply:
            assert reply.status == 200
            assert "Every perk matches what is paid for" in await reply.text()
        plan = await world.core.plans.create(PlanSpec("Club", parse_price("5.00 EUR")))
        [fan] = await fans(1)
        member = await world.core.memberships.record(
            fan, plan.id, "stripe", "sub_1", snap(world, "active")
        )
        assert member.current_period_end is not None
        world.clock.set(member.current_period_end + timedelta(days=2))  # Stripe went quiet
        await client.post(f"{new_site}/dashboard/login", data={"password": PASSWORD})
        async with client.get(f"{new_site}/dashboard/access") as reply:
            text = html.unescape(await reply.text())
        assert "1 to look at" in text
        assert f"membership #{member.id}: its period ended" in text


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


def test_the_commands_the_empty_pages_suggest_work_and_stats_reads_before_any_sale(tmp_path):
    """Each command runs as a real process on a new database and succeeds, as README's own
    examples do (tests/scenario/test_readme.py). `dropcast stats`, which reads the
    dashboard's report, says what there is not yet, before them and after them."""
    suggested = templates.get_template("next_steps.html").module
    shown = [re.fullmatch(r"<pre><code>(.*)</code></pre>", str(getattr(suggested, step)()))
             for step in FIRST_DAY]  # fmt: skip
    assert all(shown), FIRST_DAY
    path = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    env = {"PATH": path, "DATABASE_URL": f"sqlite://{tmp_path / 'new.sqlite3'}", "COLUMNS": "200"}

    def run(command: str) -> str:
        done = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        return done.stdout

    run("dropcast migrate")
    empty = run("dropcast stats")
    for words in ("No session has gone live yet.", "No drop has opened yet.", "No buyers yet.",
                  "No paid orders yet.", "No A/B test yet"):  # fmt: skip
        assert words in empty
    for found in shown:
        run(html.unescape(found[1]))
    unsold = run("dropcast stats")
    for words in ("#1 Friday listening", "#1 Winter drop", "0/50 (0%)", "No buyers yet.",
                  "no one has bought after any variant"):  # fmt: skip
        assert words in unsold


async def log_in(page, site: str) -> None:
    await page.goto(f"{site}/dashboard/login")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button")


async def read_every_page(
    page, site: str, expected: Mapping[str, tuple[str, ...]], shots: Path | None
) -> dict[str, list[float]]:
    """Opens every page: each answers, shows the `expected` words, and fits the viewport's
    width (no sideways scrolling of the page; the navigation and the charts within it).
    Each page's charts' widths; a screenshot of each into `shots`."""
    width = page.viewport_size["width"]
    charts = {}
    for name in PAGES:
        reply = await page.goto(f"{site}/dashboard" + ("" if name == "overview" else f"/{name}"))
        assert reply is not None
        assert reply.status == 200, (name, await page.content())
        text = await page.inner_text("body")
        assert "Internal Server Error" not in text
        for words in expected.get(name, ()):
            assert words in text, (name, words)
        assert await page.evaluate("document.documentElement.scrollWidth") <= width, name
        links = page.locator("header nav a")
        assert await links.count() == len(PAGES), name
        for link in await links.all():
            box = await link.bounding_box()
            assert box is not None, name
            assert box["x"] >= 0, name
            assert box["x"] + box["width"] <= width, (name, await link.inner_text())
        boxes = [await chart.bounding_box() for chart in await page.locator(".chart svg").all()]
        charts[name] = [box["width"] for box in boxes if box is not None]
        assert all(drawn <= width for drawn in charts[name]), name
        if shots is not None:
            await page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    return charts
