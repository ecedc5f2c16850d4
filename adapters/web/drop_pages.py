"""A drop's public page, `/d/{code}`: the link a creator pastes anywhere. Readable and
buyable without JavaScript, small, the same for everyone (so any CDN may cache it, and the
process renders it at most about once a second), with link-preview tags, structured data
for search engines, `/sitemap.xml` and `/robots.txt`. Its Buy buttons hold a unit and
answer with the payment page; Stripe sends the payer back to `/paid` or `/not-paid`."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

import jinja2
import structlog
from aiohttp import web
from markupsafe import Markup

from adapters import wording
from adapters.web.drop_cards import card
from adapters.web.fresh import Fresh
from core.app import Core
from core.drops import public
from core.drops.public import PublicDrop, PublicTier
from core.drops.web_buyers import TooManyHolds, WebBuyers
from core.errors import (
    DropcastError,
    InvalidInput,
    InvalidState,
    NotFound,
    PaymentsNotSetUp,
    ProviderUnreachable,
)
from core.kinds import DropStatus
from core.money import Money
from core.offers import Offer

log = structlog.get_logger(__name__)

CODE = "{code:[A-Za-z0-9_-]{1,16}}"
BUYER_COOKIE = "dropcast_buyer"
BUYER_DAYS = 30
# an edge keeps the page 10 s and may serve it up to 30 s older while it asks again;
# browsers 5 s: stock moves, and the page polls /stock.json for it
PUBLIC_PAGE = "public, max-age=5, s-maxage=10, stale-while-revalidate=30"
PUBLIC_STOCK = "public, max-age=1, s-maxage=1"
PUBLIC_LONG = "public, max-age=300, s-maxage=300, stale-while-revalidate=600"
PERSONAL = "private, no-store"
KEEP_PAGE = timedelta(seconds=1)
KEEP_CARD = timedelta(minutes=5)
CONFIRM_EVERY = 2  # seconds between the paid page's looks while the payment is confirmed
ROBOTS = (
    "User-agent: *\nDisallow: /l/\nDisallow: /dashboard\nDisallow: /scan\nDisallow: /p/\n"
    "Sitemap: {base}/sitemap.xml\n"
)
BAD_OFFER = (
    "This personal link is not valid any more (or was changed), so you see the drop as"
    " everyone does."
)
SCHEMA = "https://schema.org/"

templates = jinja2.Environment(
    loader=jinja2.PackageLoader("adapters.web", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True, slots=True)
class Answer:
    """A rendered page as kept: its bytes, their strong ETag and its status."""

    body: bytes
    status: int
    etag: str
    content_type: str = "text/html"


class DropPages:
    def __init__(
        self,
        core: Core,
        buyers: WebBuyers,
        bot_link: Callable[[int], Awaitable[str | None]],
        base_url: str,
        secure_cookie: bool,
        address_header: str | None = None,
    ) -> None:
        """`bot_link` opens a drop in the bot chat (Telegram's deep link), where Stars tiers
        are paid and members join; None where there is no bot. `address_header` names the
        header a CDN or load balancer in front puts the visitor's address in."""
        self.core = core
        self.buyers = buyers
        self.bot_link = bot_link
        self.base_url = base_url.rstrip("/")
        self.secure_cookie = secure_cookie
        self.address_header = address_header
        self.pages: Fresh[Answer] = Fresh(core.clock, KEEP_PAGE)
        self.cards: Fresh[Answer] = Fresh(core.clock, KEEP_CARD)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(f"/d/{CODE}.png", self.image)
        app.router.add_get(f"/d/{CODE}/stock.json", self.stock)
        app.router.add_post(f"/d/{CODE}/buy", self.buy)
        app.router.add_get(f"/d/{CODE}", self.page)
        app.router.add_get("/paid", self.paid)
        app.router.add_get("/not-paid", self.not_paid)
        app.router.add_get("/sitemap.xml", self.sitemap)
        app.router.add_get("/robots.txt", self.robots)

    async def page(self, request: web.Request) -> web.StreamResponse:
        code = request.match_info["code"]
        offer_code = request.query.get("o") if request.query_string else None
        if offer_code is None:
            answer = await self.pages.get(f"page:{code}", lambda: self._public(code))
            return _cached(request, answer, PUBLIC_PAGE)
        offer = await self._offer(offer_code, code)
        drop = await public.public_drop(code, self.core.clock.now())
        if drop is None:
            return _note(404, "No such drop", ["This drop does not exist."], PERSONAL)
        note = None if offer else BAD_OFFER
        body = await self._render(drop, offer, offer_code if offer else None, note=note)
        return web.Response(
            body=body,
            content_type="text/html",
            charset="utf-8",
            headers={"Cache-Control": PERSONAL},
        )

    async def _public(self, code: str) -> Answer:
        drop = await public.public_drop(code, self.core.clock.now())
        if drop is None:
            return _answer(_note_body("No such drop", ["This drop does not exist."]), 404)
        return _answer(await self._render(drop, None, None), 200)

    async def stock(self, request: web.Request) -> web.StreamResponse:
        code = request.match_info["code"]
        answer = await self.pages.get(f"stock:{code}", lambda: self._stock(code))
        return _cached(request, answer, PUBLIC_STOCK)

    async def _stock(self, code: str) -> Answer:
        left = await public.stock_left(code)
        if left is None:
            return _answer(b'{"error": "no such drop"}', 404, "application/json")
        body = json.dumps({"tiers": {str(tier): n for tier, n in left.items()}})
        return _answer(body.encode(), 200, "application/json")

    async def image(self, request: web.Request) -> web.StreamResponse:
        code = request.match_info["code"]
        answer = await self.cards.get(f"card:{code}", lambda: self._card(code))
        return _cached(request, answer, PUBLIC_LONG)

    async def _card(self, code: str) -> Answer:
        drop = await public.public_drop(code, self.core.clock.now())
        if drop is None:
            return _answer(_note_body("No such drop", ["This drop does not exist."]), 404)
        lowest = _lowest(drop)
        price = f"from {lowest}" if lowest else ""
        png = await asyncio.to_thread(card, drop.title, price)
        return _answer(png, 200, "image/png")

    async def sitemap(self, request: web.Request) -> web.StreamResponse:
        answer = await self.pages.get("sitemap", self._sitemap)
        return _cached(request, answer, PUBLIC_LONG)

    async def _sitemap(self) -> Answer:
        urls = "".join(
            f"<url><loc>{escape(f'{self.base_url}/d/{drop.code}')}</loc>"
            f"<lastmod>{drop.changed_at.isoformat(timespec='seconds')}</lastmod></url>"
            for drop in await public.listed()
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
        )
        return _answer(body.encode(), 200, "application/xml")

    async def robots(self, _: web.Request) -> web.Response:
        return web.Response(
            text=ROBOTS.format(base=self.base_url), headers={"Cache-Control": PUBLIC_LONG}
        )

    async def buy(self, request: web.Request) -> web.StreamResponse:
        """Tap 1: hold a unit and go to the payment page (tap 2 pays there). A refusal shows
        the page again with the reason, and changes nothing."""
        code = request.match_info["code"]
        form = await request.post()
        tier, offer_code = str(form.get("tier", "")), str(form.get("o", "")) or None
        pickup = str(form.get("pickup", ""))
        drop = await public.public_drop(code, self.core.clock.now())
        if drop is None:
            return _note(404, "No such drop", ["This drop does not exist."], PERSONAL)
        offer = await self._offer(offer_code, code) if offer_code else None
        if offer_code and offer is None:
            return await self._again(drop, None, None, BAD_OFFER + " Nothing was held.", 400)
        if not tier.isdigit() or len(tier) > 12:
            return await self._again(drop, offer, offer_code, "Choose a tier to buy.", 400)
        if pickup and (not pickup.isdigit() or len(pickup) > 12):
            why = "Choose shipping or a pop-up to pick up at."
            return await self._again(drop, offer, offer_code, why, 400)
        try:
            checkout = await self.buyers.buy(
                code,
                int(tier),
                buyer=request.cookies.get(BUYER_COOKIE),
                address=self._address(request),
                offer=offer,
                pop_up_id=int(pickup) if pickup else None,
            )
        except TooManyHolds as refusal:
            return await self._again(drop, offer, offer_code, _sentence(refusal), 429)
        except PaymentsNotSetUp:
            lines = ["Payments are not set up yet, so nothing was held or charged."]
            return _note(503, "Payments are not set up", lines, PERSONAL, back=f"/d/{code}")
        except ProviderUnreachable:
            lines = ["The payment page could not be made just now. Please try again in a minute."]
            return _note(503, "Try again", lines, PERSONAL, back=f"/d/{code}")
        except (NotFound, InvalidInput) as refusal:
            return await self._again(drop, offer, offer_code, _sentence(refusal), 400)
        except InvalidState as refusal:
            return await self._again(drop, offer, offer_code, _sentence(refusal), 409)
        headers = {"Location": checkout.checkout_url, "Cache-Control": PERSONAL}
        answer = web.Response(status=303, headers=headers)
        if checkout.buyer is not None:
            answer.set_cookie(
                BUYER_COOKIE,
                checkout.buyer,
                max_age=BUYER_DAYS * 86400,
                httponly=True,
                samesite="Lax",
                secure=self.secure_cookie,
            )
        return answer

    def _address(self, request: web.Request) -> str:
        """The visitor's address: from the proxy's header when one is in front (the last
        entry of X-Forwarded-For is the one our proxy added), else the connection's."""
        if self.address_header and (given := request.headers.get(self.address_header)):
            return given.rsplit(",", 1)[-1].strip()
        return request.remote or ""

    async def paid(self, request: web.Request) -> web.StreamResponse:
        """Where Stripe sends a payer: the goods for the buyer's own browser once the order
        exists; "confirming…", looking again, until the payment's webhook landed."""
        hold = await self._hold(request)
        if hold is None:
            return _note(404, "No such payment", ["There is no such payment."], PERSONAL)
        back = f"/d/{hold.drop_code}"
        if hold.status == "held":
            lines = ["Thank you! Your payment is being confirmed…"]
            return _note(200, "Confirming…", lines, PERSONAL, refresh=CONFIRM_EVERY)
        if hold.status != "paid":
            lines = [
                "This hold ended before a payment arrived. If you were charged, the payment"
                " is refunded automatically.",
            ]
            return _note(200, "Hold ended", lines, PERSONAL, back=back)
        lines = ["Thank you!"]
        if hold.by_dm and not hold.mine:
            lines.append("Your receipt and your item come by direct message from the bot.")
        elif hold.mine and hold.goods is None:
            lines.append("Your receipt comes by email from the payment page.")
        return _note(200, "Payment received", lines, PERSONAL, back=back, goods=hold.goods)

    async def not_paid(self, request: web.Request) -> web.StreamResponse:
        hold = await self._hold(request)
        if hold is None:
            return _note(404, "No such payment", ["There is no such payment."], PERSONAL)
        lines = [
            "Nothing was charged. Your unit stays held for a few minutes: go back to pay."
            if hold.status == "held"
            else "Nothing was charged, and your hold has ended: go back to try again."
        ]
        back = f"/d/{hold.drop_code}"
        return _note(200, "Payment not completed", lines, PERSONAL, back=back)

    async def _hold(self, request: web.Request) -> public.PaidHold | None:
        hold = request.query.get("hold", "")
        if not hold.isdigit() or len(hold) > 12:
            return None
        buyer = await self.buyers.buyer(request.cookies.get(BUYER_COOKIE))
        return await public.paid_hold(int(hold), buyer)

    async def _offer(self, offer_code: str, drop_code: str) -> Offer | None:
        """The signed offer, if it is one of ours, unexpired, for this drop."""
        offer = await self.core.offers.read(offer_code)
        return offer if offer is not None and offer.drop_code == drop_code else None

    async def _again(
        self, drop: PublicDrop, offer: Offer | None, offer_code: str | None, why: str, status: int
    ) -> web.Response:
        body = await self._render(drop, offer, offer_code, message=why)
        return web.Response(
            body=body,
            status=status,
            content_type="text/html",
            charset="utf-8",
            headers={"Cache-Control": PERSONAL},
        )

    async def _render(
        self,
        drop: PublicDrop,
        offer: Offer | None,
        offer_code: str | None,
        *,
        message: str | None = None,
        note: str | None = None,
    ) -> bytes:
        now = self.core.clock.now()
        member = offer is not None and offer.member
        early = offer is not None and offer.early
        needs_bot = any(t.in_stars or t.members_only for t in drop.tiers) or drop.members_only
        bot = await self._bot_link(drop.id) if needs_bot else None
        state, moment = _state(drop, now, early)
        lowest = _lowest(drop)
        url = f"{self.base_url}/d/{drop.code}"
        image = drop.image_url or f"{url}.png"
        summary = drop.description or f"{drop.title}: {state.lower()} {moment or ''}".strip()
        if offer is not None and offer.tier_id is not None:
            note = note or "Your personal offer is below."
        tiers = [_tier(drop, tier, now, member, early, bot) for tier in drop.tiers]
        return (
            templates.get_template("drop_page.html")
            .render(
                drop=drop,
                summary=summary[:300],
                url=url,
                image=image,
                lowest={"amount": _amount(lowest), "currency": lowest.currency, "text": str(lowest)}
                if lowest
                else None,
                json_ld=Markup(_json_ld(drop, url, image, summary)),
                state=state,
                moment={"iso": moment_at.isoformat(), "text": moment}
                if (moment_at := _moment_at(drop, now)) and moment
                else None,
                tiers=tiers,
                message=message,
                offer_note=note,
                offer_code=offer_code,
                polling=drop.status in (DropStatus.OPEN, DropStatus.SOLD_OUT),
                as_of=f"{now:%H:%M:%S}",
            )
            .encode()
        )

    async def _bot_link(self, drop_id: int) -> str | None:
        try:
            return await self.bot_link(drop_id)
        except Exception as error:  # the bot's platform is down: the page shows without it
            log.warning("bot_link_unavailable", drop_id=drop_id, error=type(error).__name__)
            return None


def _state(drop: PublicDrop, now: datetime, early: bool) -> tuple[str, str | None]:
    """The drop's state in words, and its countdown (None where nothing is counted)."""
    if drop.status == DropStatus.SCHEDULED:
        if early:
            return "Your early access is open; for everyone it opens", _countdown(
                drop.opens_at, now
            )
        return "Opens", _countdown(drop.opens_at, now)
    if drop.status == DropStatus.OPEN:
        if drop.closes_at is not None and drop.closes_at > now:
            return "Open now; closes", wording.countdown(drop.closes_at, now)
        return "Open now", None
    return {
        DropStatus.SOLD_OUT: "Sold out",
        DropStatus.CLOSED: "This drop has closed",
        DropStatus.CANCELLED: "This drop was called off",
    }[DropStatus(drop.status)], None


def _countdown(at: datetime | None, now: datetime) -> str | None:
    return None if at is None or at <= now else wording.countdown(at, now)


def _moment_at(drop: PublicDrop, now: datetime) -> datetime | None:
    if drop.status == DropStatus.SCHEDULED:
        return drop.opens_at
    if drop.status == DropStatus.OPEN and drop.closes_at is not None and drop.closes_at > now:
        return drop.closes_at
    return None


def _tier(
    drop: PublicDrop, tier: PublicTier, now: datetime, member: bool, early: bool, bot: str | None
) -> dict[str, Any]:
    """One tier as the page shows it, and what its button does: buy (a form), a link (to
    the bot, for Stars and joining) or nothing (a disabled button saying why)."""
    shown = tier.member_price if member and tier.member_price is not None else tier.price
    view: dict[str, Any] = {
        "id": tier.id,
        "name": tier.name,
        "stock": tier.stock,
        "price": str(shown),
        "was": str(tier.price) if shown != tier.price else None,
        "aside": wording.MEMBER_PRICE
        if shown != tier.price
        else (f"members: {tier.member_price}" if tier.member_price is not None else None),
        "left": f"{tier.available} of {tier.stock} left" if tier.available else "Sold out",
        "action": "none",
        "link": None,
        "label": "",
        "pickups": [(pickup.pop_up_id, pickup.words) for pickup in tier.pickups],
    }
    if drop.status in (DropStatus.CLOSED, DropStatus.CANCELLED):
        return view | {"label": "Closed", "left": ""}
    if (tier.members_only or drop.members_only) and not member:
        label = "Members only: join in the bot" if bot else "Members only: /join in the bot"
        return view | {"label": label, "link": bot}
    if tier.available < 1 or drop.status == DropStatus.SOLD_OUT:
        return view | {"label": "Sold out"}
    if tier.in_stars:
        return view | {
            "label": "Buy in Telegram (Stars)" if bot else "Paid in Stars in the bot chat",
            "link": bot,
        }
    if drop.status == DropStatus.SCHEDULED and not early:
        return view | {"label": f"Opens {_countdown(drop.opens_at, now) or 'soon'}"}
    return view | {"action": "buy"}


def _lowest(drop: PublicDrop) -> Money | None:
    """The "from" price: the least any tier costs (Stars tiers apart, when others exist)."""
    prices = [t.price for t in drop.tiers if not t.in_stars] or [t.price for t in drop.tiers]
    return min(prices, key=lambda price: price.minor) if prices else None


def _amount(price: Money) -> str:
    """A price as a decimal number, as structured data and price tags write it."""
    return str(price).partition(" ")[0]


def _availability(drop: PublicDrop, tier: PublicTier) -> str:
    if drop.status in (DropStatus.CLOSED, DropStatus.CANCELLED):
        return SCHEMA + "Discontinued"
    if drop.status == DropStatus.SCHEDULED:
        return SCHEMA + "PreOrder"
    return SCHEMA + ("InStock" if tier.available > 0 else "SoldOut")


def _json_ld(drop: PublicDrop, url: str, image: str, summary: str) -> str:
    """schema.org's Product with an Offer per tier, safe inside a <script> element."""
    product = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": drop.title,
        "description": summary,
        "image": image,
        "url": url,
        "offers": [
            {
                "@type": "Offer",
                "name": tier.name,
                "price": _amount(tier.price),
                "priceCurrency": tier.price.currency,
                "availability": _availability(drop, tier),
                "url": url,
                **({"availabilityStarts": drop.opens_at.isoformat()} if drop.opens_at else {}),
            }
            for tier in drop.tiers
        ],
    }
    return json.dumps(product).replace("<", "\\u003c").replace(">", "\\u003e")


def _answer(body: bytes, status: int, content_type: str = "text/html") -> Answer:
    return Answer(body, status, f'"{hashlib.sha256(body).hexdigest()[:32]}"', content_type)


def _cached(request: web.Request, answer: Answer, cache_control: str) -> web.StreamResponse:
    """The kept answer, or 304 when the client (or the edge) holds these very bytes. Its
    headers are spelled out whole (a page is answered tens of thousands of times a second
    in a rush: bench/edge.py)."""
    asked = request.headers.get("If-None-Match")
    if asked and answer.status == 200 and _matches(asked, answer.etag):
        return web.Response(
            status=304, headers={"Cache-Control": cache_control, "ETag": answer.etag}
        )
    charset = "" if answer.content_type == "image/png" else "; charset=utf-8"
    headers = {
        "Content-Type": answer.content_type + charset,
        "Cache-Control": cache_control,
        "ETag": answer.etag,
    }
    return web.Response(body=answer.body, status=answer.status, headers=headers)


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110's weak comparison, as If-None-Match uses it."""
    given = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in given or etag in given


def _note_body(
    heading: str,
    lines: list[str],
    *,
    back: str | None = None,
    refresh: int | None = None,
    goods: str | None = None,
) -> bytes:
    page = templates.get_template("drop_note.html")
    return page.render(
        heading=heading, lines=lines, back=back, refresh=refresh, goods=goods
    ).encode()


def _note(
    status: int,
    heading: str,
    lines: list[str],
    cache_control: str,
    *,
    back: str | None = None,
    refresh: int | None = None,
    goods: str | None = None,
) -> web.Response:
    body = _note_body(heading, lines, back=back, refresh=refresh, goods=goods)
    return web.Response(
        body=body,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={"Cache-Control": cache_control},
    )


def _sentence(refusal: DropcastError) -> str:
    text = str(refusal)
    return f"{text[:1].upper()}{text[1:]}."
