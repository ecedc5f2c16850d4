"""The pop-up's pages: `/scan/{staff code}`, where staff check passes with their phone's
camera or by typing, and `/p/{pass code}`, the pass a fan shows (and, to staff, a button to
mark it collected). A staff link is a signed code (core/popups/staff.py); opening it sets a
cookie holding the same code, so staff who scan a pass with the phone's own camera app land
on the pass page as staff."""

from __future__ import annotations

from aiohttp import web
from markupsafe import Markup

from adapters import qr
from adapters.pickup_sheets import csv_text
from adapters.scan_answers import scan_text, status_text, until
from adapters.web.dashboard import templates
from core.app import Core
from core.errors import NotFound
from core.popups.pass_views import PassStatus, PassView
from core.popups.pickup_list import PickupList, pickup_list
from core.popups.places import window
from core.popups.scanning import ScanOutcome, ScanResult
from core.popups.staff import Staff

COOKIE = "dropcast_staff"
LONGEST_CODE = 2000  # a pass's whole address fits many times over
STATUS = {ScanOutcome.VALID: 200, ScanOutcome.UNKNOWN: 404}  # any other answer: 409
PRIVATE = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}
REFUSED = (
    "This staff link does not work: it has run out or was changed. "
    "Ask the creator for a new one (dropcast popup staff-link)."
)
CALLED_OFF = "This pop-up was called off: there is nothing to scan."
NOT_STAFF = "Only staff of this pop-up can mark a pass collected: open your staff link first."


class ScanPages:
    def __init__(self, core: Core, zone: str, secure_cookie: bool) -> None:
        self.core = core
        self.zone = zone
        self.secure_cookie = secure_cookie

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/scan/{staff}", self.scan_page)
        app.router.add_post("/scan/{staff}", self.scan)
        app.router.add_get("/scan/{staff}/pickups.csv", self.pickups)
        app.router.add_get("/p/{code}", self.pass_page)
        app.router.add_post("/p/{code}", self.mark_collected)

    async def scan_page(self, request: web.Request) -> web.StreamResponse:
        staff = await self._staff(request.match_info["staff"])
        response = await self._scan_html(request, staff)
        # the link's own lifetime, so the pass pages it leads to know staff until then
        lifetime = int((staff.expires_at - self.core.clock.now()).total_seconds())
        response.set_cookie(
            COOKIE, request.match_info["staff"], path="/", httponly=True, samesite="Strict",
            secure=self.secure_cookie, max_age=lifetime,
        )  # fmt: skip
        return response

    async def scan(self, request: web.Request) -> web.StreamResponse:
        """A scanned or typed code: the answer as JSON for the page's script, or the page
        with the answer for a browser without it."""
        staff = await self._staff(request.match_info["staff"])
        result = await self._collect(request, staff)
        said = scan_text(result)
        status = STATUS.get(result.outcome, 409)
        if "application/json" in request.headers.get("Accept", ""):
            body = {"outcome": result.outcome.value, "text": said, "ok": status == 200}
            return web.json_response(body, status=status, headers=PRIVATE)
        return await self._scan_html(request, staff, said, status)

    async def pickups(self, request: web.Request) -> web.StreamResponse:
        """The staff's pop-up's list, to save on the phone in case the connection fails."""
        staff = await self._staff(request.match_info["staff"])
        body = csv_text(await _pickups(staff))
        disposition = f'attachment; filename="pickups-{staff.pop_up_id}.csv"'
        headers = {**PRIVATE, "Content-Disposition": disposition}
        return web.Response(text=body, content_type="text/csv", charset="utf-8", headers=headers)

    async def pass_page(self, request: web.Request) -> web.StreamResponse:
        found = await self._pass(request.match_info["code"])
        return await self._pass_html(request, found)

    async def mark_collected(self, request: web.Request) -> web.StreamResponse:
        """The pass page's button, for staff of the pass's pop-up only."""
        code = request.match_info["code"]
        found = await self._pass(code)
        staff = await self._staff_here(request, found)
        if staff is None:
            raise _forbidden(NOT_STAFF)
        result = await self.core.scanning.collect(code, staff.pop_up_id, staff.name)
        said = scan_text(result)
        status = STATUS.get(result.outcome, 409)
        return await self._pass_html(request, result.pass_ or found, said, status)

    async def _staff(self, code: str) -> Staff:
        staff = await self.core.staff_links.read(code)
        if staff is None:
            raise _forbidden(REFUSED)
        return staff

    async def _staff_here(self, request: web.Request, found: PassView) -> Staff | None:
        """The visitor's staff cookie, if it is for this pass's pop-up."""
        staff = await self.core.staff_links.read(request.cookies.get(COOKIE, ""))
        return staff if staff is not None and staff.pop_up_id == found.pop_up_id else None

    async def _pass(self, code: str) -> PassView:
        found = await self.core.scanning.look_up(code[:LONGEST_CODE])
        if found is None:
            raise web.HTTPNotFound(
                text=_page("pass_missing.html"), content_type="text/html", headers=PRIVATE
            )
        return found

    async def _collect(self, request: web.Request, staff: Staff) -> ScanResult:
        form = await request.post()
        code = str(form.get("code", "")).strip()[:LONGEST_CODE]
        return await self.core.scanning.collect(code, staff.pop_up_id, staff.name)

    async def _scan_html(
        self, request: web.Request, staff: Staff, said: str = "", status: int = 200
    ) -> web.Response:
        expected = await _pickups(staff)
        collected = sum(p.status == PassStatus.COLLECTED for p in expected.passes)
        body = _page(
            "scan.html", staff=staff, said=said, ok=status == 200, place=expected.place,
            until=until(staff.expires_at, self.zone), path=request.path,
            counts=f"{collected} of {len(expected.passes)} pickups collected",
        )  # fmt: skip
        return web.Response(text=body, status=status, content_type="text/html", headers=PRIVATE)

    async def _pass_html(
        self, request: web.Request, found: PassView, said: str = "", status: int = 200
    ) -> web.Response:
        own_url = await self.core.pass_codes.link(found.id, found.pop_up_id)
        svg = qr.image(own_url, "svg").decode()
        body = _page(
            "pass.html", found=found, said=said, ok=status == 200,
            qr=Markup("<svg" + svg.partition("<svg")[2]),  # segno's own markup: no fan text
            window=window(found.starts_at, found.ends_at, found.zone),
            status=status_text(found),
            staff=await self._staff_here(request, found),
            waiting=found.status == PassStatus.WAITING,
        )  # fmt: skip
        return web.Response(text=body, status=status, content_type="text/html", headers=PRIVATE)


def _page(template: str, **context: object) -> str:
    return templates.get_template(template).render(**context)


async def _pickups(staff: Staff) -> PickupList:
    try:
        return await pickup_list(staff.pop_up_id)
    except NotFound:  # the creator called the pop-up off after making the link
        raise _forbidden(CALLED_OFF) from None


def _forbidden(message: str) -> web.HTTPForbidden:
    body = _page("scan_refused.html", message=message)
    return web.HTTPForbidden(text=body, content_type="text/html", headers=PRIVATE)
