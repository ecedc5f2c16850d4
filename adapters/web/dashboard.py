"""The creator's dashboard at /dashboard: the stats report as pages with charts, behind a
login (the dashboard password, or a one-time link from `/dashboard` in a bot or
`dropcast dashboard`)."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta

import jinja2
from aiohttp import web
from markupsafe import Markup

from adapters import wording
from adapters.web import charts
from core.analytics.attribution import Weights
from core.analytics.buyers import WINDOWS
from core.analytics.report import Report, full_report
from core.app import Core
from core.money import Money
from core.perk_tokens.report import token_report
from core.popups.places import window

COOKIE = "dropcast_dashboard"
PAGES = ("overview", "drops", "sessions", "campaigns", "fans", "members")
FAILURES_ALLOWED = 5  # wrong passwords from one address in FAILURE_WINDOW seconds
FAILURE_WINDOW = 600.0
FRESH_FOR = timedelta(minutes=1)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
templates = jinja2.Environment(
    loader=jinja2.PackageLoader("adapters.web", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
templates.filters["money"] = lambda minor, currency: str(Money(int(minor), currency))
templates.filters["share"] = lambda rate: "-" if rate is None else f"{rate:.0%}"
templates.filters["step"] = wording.funnel_step
templates.filters["minutes"] = lambda value: "-" if value is None else f"{value:g} min"
templates.filters["window"] = window


class Dashboard:
    def __init__(self, core: Core, weights: Weights, secure_cookie: bool) -> None:
        self.core = core
        self.weights = weights
        self.secure_cookie = secure_cookie
        self.failures: dict[str, deque[float]] = defaultdict(deque)
        self._latest: Report | None = None
        self._computing: asyncio.Task[Report] | None = None
        self._drawing: ProcessPoolExecutor | None = None

    def _drawer(self) -> ProcessPoolExecutor:
        """One process that draws pages, started at the first page (spawned: a fork of a
        process with an event loop and open connections is not safe)."""
        if self._drawing is None:
            self._drawing = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        return self._drawing

    async def _stop_drawing(self, _: web.Application) -> None:
        if self._drawing is not None:
            self._drawing.shutdown(cancel_futures=True)

    def add_routes(self, app: web.Application) -> None:
        app.on_cleanup.append(self._stop_drawing)
        app.router.add_get("/dashboard", self._page("overview"))
        for page in PAGES[1:]:
            app.router.add_get(f"/dashboard/{page}", self._page(page))
        app.router.add_get("/dashboard/access", self.access)
        app.router.add_get("/dashboard/tokens", self.tokens)
        app.router.add_get("/dashboard/login", self.login_form)
        app.router.add_post("/dashboard/login", self.log_in)
        app.router.add_get("/dashboard/enter/{token}", self.enter_form)
        app.router.add_post("/dashboard/enter/{token}", self.enter)
        app.router.add_post("/dashboard/logout", self.log_out)

    def _page(self, page: str) -> Handler:
        async def show(request: web.Request) -> web.StreamResponse:
            if not await self.core.dashboard.allows(request.cookies.get(COOKIE)):
                raise web.HTTPSeeOther("/dashboard/login")
            report = await self.report()
            # drawing the charts and the page is CPU work: in another process, so webhooks
            # and links keep answering meanwhile (bench/dashboard.py)
            body = await asyncio.get_running_loop().run_in_executor(
                self._drawer(), _page_html, page, report, self.weights.describe()
            )
            return _html_response(body)

        return show

    async def access(self, request: web.Request) -> web.StreamResponse:
        """The access report (core/memberships/access_report.py), made fresh: it is small."""
        if not await self.core.dashboard.allows(request.cookies.get(COOKIE)):
            raise web.HTTPSeeOther("/dashboard/login")
        return _html("access.html", page="access", report=await self.core.access.report())

    async def tokens(self, request: web.Request) -> web.StreamResponse:
        """Perk token sets and their holders' comeback (core/perk_tokens/report.py), fresh."""
        if not await self.core.dashboard.allows(request.cookies.get(COOKIE)):
            raise web.HTTPSeeOther("/dashboard/login")
        found = await token_report(self.core.clock.now())
        return _html("tokens.html", page="tokens", report=found)

    async def report(self) -> Report:
        """One report serves every page for a minute, and a page asked for while it is being
        made waits for that one: with a million orders a report takes most of a minute
        (bench/analytics.py), and a creator clicking through five pages should not start
        five. A visitor who leaves does not stop it for the others."""
        now = self.core.clock.now()
        if self._latest is not None and now - self._latest.at < FRESH_FOR:
            return self._latest
        if self._computing is None or self._computing.done():
            self._computing = asyncio.create_task(full_report(now, self.weights))
        self._latest = await asyncio.shield(self._computing)
        return self._latest

    async def login_form(self, _: web.Request) -> web.StreamResponse:
        return _html("login.html", message="", has_password=self.core.dashboard.password)

    async def log_in(self, request: web.Request) -> web.StreamResponse:
        address = request.remote or "?"
        recent = self.failures[address]
        while recent and recent[0] < time.monotonic() - FAILURE_WINDOW:
            recent.popleft()
        if len(recent) >= FAILURES_ALLOWED:
            message = "Too many wrong passwords: wait ten minutes, or use a link from /dashboard."
            return _html("login.html", message=message, has_password=True, status=429)
        form = await request.post()
        session = await self.core.dashboard.log_in(str(form.get("password", "")))
        if session is None:
            recent.append(time.monotonic())
            return _html("login.html", message="That is not the dashboard password.",
                         has_password=self.core.dashboard.password, status=401)  # fmt: skip
        return self._logged_in(session)

    async def enter_form(self, request: web.Request) -> web.StreamResponse:
        """A link preview (Telegram fetches links it shows) must not spend the link: the
        visitor presses a button, which POSTs."""
        return _html("enter.html", token=request.match_info["token"])

    async def enter(self, request: web.Request) -> web.StreamResponse:
        session = await self.core.dashboard.enter(request.match_info["token"])
        if session is None:
            message = "This link was used already or is too old: ask /dashboard for a new one."
            return _html("login.html", message=message,
                         has_password=self.core.dashboard.password, status=403)  # fmt: skip
        return self._logged_in(session)

    async def log_out(self, request: web.Request) -> web.StreamResponse:
        session = request.cookies.get(COOKIE)
        if session:
            await self.core.dashboard.log_out(session)
        response = web.HTTPSeeOther("/dashboard/login")
        response.del_cookie(COOKIE, path="/dashboard")
        raise response

    def _logged_in(self, session: str) -> web.StreamResponse:
        response = web.HTTPSeeOther("/dashboard")
        response.set_cookie(
            COOKIE, session, path="/dashboard", httponly=True, samesite="Strict",
            secure=self.secure_cookie, max_age=12 * 3600,
        )  # fmt: skip
        raise response


def _charts(page: str, report: Report) -> dict[str, Markup]:
    """The page's charts by name. One with nothing to draw is left out, and its page says
    so instead: a template asks `"lag" in svg` before showing it."""
    drawn: dict[str, str] = {}
    if page in ("overview", "sessions") and report.lag.histogram:
        drawn["lag"] = charts.lag_histogram(report.lag)
    if page == "overview" and report.attribution:
        drawn["attribution"] = charts.attribution_pie(report.attribution[0])
    if page == "drops" and report.drops:
        drawn["funnel"] = charts.funnel_bars(report.drops)
    if page == "fans" and report.cohorts:
        drawn["ltv"] = charts.ltv_curves(report.cohorts)
    if page == "members" and report.memberships.months:
        drawn["members"] = charts.member_months(report.memberships.months)
    return {name: Markup(svg) for name, svg in drawn.items()}  # pygal escapes what it draws


def _page_html(page: str, report: Report, weights: str) -> str:
    return templates.get_template(f"{page}.html").render(
        page=page, report=report, svg=_charts(page, report), windows=WINDOWS, weights=weights
    )


def _html(template: str, status: int = 200, **context: object) -> web.Response:
    return _html_response(templates.get_template(template).render(**context), status)


def _html_response(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html",
                        headers={"Cache-Control": "no-store"})  # fmt: skip
