"""A loopback stand-in for Stripe's Checkout Sessions API (localstripe has none), as strict
as Stripe.

It reads the form encoding the `stripe` library sends (`line_items[0][price_data][currency]`),
answers in Stripe's JSON shape and error shape, and records every request so tests can
assert on what our code sent. Each rule it keeps names its source beside it and has a test
in tests/integration/test_stripe_peer.py; where Stripe documents a rule but not its error
text, the comment says so. Its currency rules are written from Stripe's pages, not taken
from adapters/stripe/amounts.py: a mistake there shows here as a refusal.

Sessions expire by themselves at `expires_at` on the peer's clock (a test's `ManualClock`),
as Stripe's do; `events` holds the events Stripe would send, in its published shape.
`complete()` pays a session the way a fan would on Stripe's page and returns the
`checkout.session.completed` event.

Memberships (Checkout in `subscription` mode, products, prices, customers, subscriptions,
invoices, the customer portal, and time moved as a test clock moves it) are Stripe Billing's,
kept by tests/peers/stripe_billing.py as `billing`.

Every other `/v1/…` request goes on to `upstream` (localstripe), so one `STRIPE_API_BASE`
serves the whole Stripe API our code uses; completed sessions pay a real payment intent there,
which later refunds find. Idempotency keys are kept here, for forwarded requests too.
"""

from __future__ import annotations

import asyncio
import collections
import copy
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import stripe
from aiohttp import ClientSession, web

from adapters.pacing import PerSecond
from core.ports import Clock

_KEY_PART = re.compile(r"[^\[\]]+")

# docs.stripe.com/api/idempotent_requests: "The idempotency layer compares incoming
# parameters to those of the original request and errors if they're not the same to
# prevent accidental misuse"; the text is what Stripe answers
KEY_REUSED = (
    "Keys for idempotent requests can only be used with the same parameters they were first"
    " used with. Try using a key other than '{key}' if you meant to execute a different"
    " request."
)
# docs.stripe.com/api/idempotent_requests: no result is saved when "the request conflicts
# with another that's executing concurrently"; docs.stripe.com/error-codes#idempotency-key-in-
# use: "The idempotency key provided is currently being used in another request. This occurs
# if your integration is making duplicate requests simultaneously." A 409, which the `stripe`
# library tries again (its _should_retry: "Retry on conflict errors"); the text is the peer's
KEY_IN_USE = (
    "There is currently another in-progress request using this Idempotent Key: {key}."
    " Please try again later."
)
# docs.stripe.com/currencies#zero-decimal
ZERO_DECIMAL = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx",
                "vnd", "vuv", "xaf", "xof", "xpf"}  # fmt: skip
# docs.stripe.com/currencies#three-decimal: "the last digit must be 0" (error text unpublished)
THREE_DECIMAL = {"bhd", "jod", "kwd", "omr", "tnd"}
# docs.stripe.com/currencies#special-cases: ISK "transitioned to a zero-decimal currency, but
# backwards compatibility requires you to represent it as a two-decimal value, where the
# decimal amount is always 00" (error text unpublished). HUF and TWD are zero-decimal for
# payouts only: charges may hold decimals. The page names no other exception: every currency
# off the two lists above (IDR, COP, …, whatever ISO 4217 or CLDR say) is two-decimal.
WHOLE_UNITS = {"isk": 100}
# docs.stripe.com/currencies#minimum-and-maximum-charge-amounts, in Stripe's minor units;
# other currencies must come to about 0.50 USD at the day's rate (not checked here)
MINIMUM_CHARGE = {
    "usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50,
    "czk": 1500, "dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50,
    "jpy": 50, "mxn": 1000, "myr": 200, "nok": 300, "nzd": 50, "pln": 200, "ron": 200,
    "sek": 300, "sgd": 50, "thb": 1000,
}  # fmt: skip
# Stripe writes the minimum with the currency's sign: "at least $0.50 usd"
SIGNS = {"usd": "$", "aud": "$", "cad": "$", "nzd": "$", "sgd": "$", "hkd": "$", "mxn": "$",
         "eur": "€", "gbp": "£", "jpy": "¥", "inr": "₹"}  # fmt: skip
# what Stripe answers a Checkout Session under the minimum (code amount_too_small)
TOO_SMALL = "The Checkout Session's total amount due must add up to at least {least}"
# docs.stripe.com/api/checkout/sessions/create#create_checkout_session-expires_at: "anywhere
# from 30 minutes to 24 hours after Checkout Session creation"; the texts are Stripe's
SHORTEST, LONGEST = timedelta(minutes=30), timedelta(hours=24)
TOO_SOON = "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation."
TOO_LATE = "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation."
# docs.stripe.com/api/checkout/sessions/expire: "A Checkout Session can be expired when it
# is in one of these statuses: open" (the text is the peer's)
NOT_OPEN = "Only Checkout Sessions with a status of open can be expired."
# docs.stripe.com/api/checkout/sessions/create#create_checkout_session-subscription_data: "Use
# only in `subscription` mode" (the text is the peer's: Stripe's own for payment_intent_data in
# subscription mode, tests/peers/stripe_billing.py NO_PAYMENT_INTENT_DATA, turned round)
NO_SUBSCRIPTION_DATA = "You can not pass `subscription_data` in `payment` mode."
# docs.stripe.com/rate-limits: "API endpoints have a default limit of 25 requests per second"
# per account, each named operation its own endpoint ("GET /v1/payment_intents/{id} for
# different IDs count against the same endpoint limit"), and a sandbox's whole API 25 a
# second too ("Sandbox: 25 operations"); past it a 429 (docs.stripe.com/error-codes#rate-
# limit: "Too many requests hit the API too quickly. We recommend an exponential backoff of
# your requests."), never kept for an idempotency key: the request never started executing
PER_ENDPOINT_PER_SECOND = 25
SANDBOX_PER_SECOND = 25
KEY_KEPT = timedelta(hours=24)  # see `_idempotent`
RATE_LIMITED = (
    "Too many requests hit the API too quickly. We recommend an exponential backoff of your"
    " requests."
)


class Refused(Exception):
    """A request Stripe answers with a 400 `invalid_request_error`."""

    def __init__(self, message: str, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message, self.param, self.code = message, param, code


def unflatten(form: dict[str, str]) -> dict[str, Any]:
    """Stripe's bracket keys into nested objects; objects keyed 0..n become lists."""
    root: dict[str, Any] = {}
    for key, value in form.items():
        parts = _KEY_PART.findall(key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _lists(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def _form(params: dict[str, object]) -> dict[str, str]:
    return {key: str(value) for key, value in params.items()}


def _error(
    status: int,
    message: str,
    kind: str = "invalid_request_error",
    *,
    code: str | None = None,
    param: str | None = None,
) -> web.Response:
    """Stripe's error body: docs.stripe.com/api/errors."""
    error = {"type": kind, "message": message, "code": code, "param": param}
    return web.json_response({"error": {k: v for k, v in error.items() if v}}, status=status)


def least_charge(currency: str) -> str:
    """Stripe's minimum for `currency` as Stripe words it: "$0.50 usd", "¥50 jpy"."""
    amount = MINIMUM_CHARGE[currency]
    major = str(amount) if currency in ZERO_DECIMAL else f"{amount // 100}.{amount % 100:02d}"
    return f"{SIGNS.get(currency, '')}{major} {currency}"


def check_amount(amount: int, currency: str, param: str) -> None:
    """Stripe's rules for an amount in `currency`'s minor units (see the constants above)."""
    if currency in THREE_DECIMAL and amount % 10:
        raise Refused(
            f"Invalid {param}: {currency} amounts must end in 0 (three-decimal currency)", param
        )
    if amount % WHOLE_UNITS.get(currency, 1):
        raise Refused(
            f"Invalid {param}: {currency} amounts must be divisible by {WHOLE_UNITS[currency]}",
            param,
        )


@dataclass
class _Kept:
    """The first answer to an idempotency key, and what it was asked."""

    asked: tuple[str, list[tuple[str, str]]]
    status: int
    body: bytes
    at: datetime


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class StripeCheckoutPeer:
    def __init__(self, clock: Clock, upstream: str | None = None) -> None:
        self.clock = clock
        self.upstream = upstream
        self.sessions: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, dict[str, Any], dict[str, str]]] = []
        self.replayed: list[str] = []  # idempotency keys answered from the first result
        self.webhook_endpoints: list[dict[str, Any]] = []  # see `webhook_endpoint`
        self._kept: dict[tuple[str, str], _Kept] = {}
        self._executing: set[tuple[str, str]] = set()  # keys whose first request is running
        self.latency = 0.0  # seconds each request forwarded upstream takes, at the least
        # each account's requests in any second, by endpoint and in all ("*")
        self._admitted: dict[tuple[str, str], PerSecond] = {}
        self.rate_limited = 0  # requests refused for the rate
        self.app = web.Application(middlewares=[self._rate, self._idempotent])
        self.app.router.add_post("/v1/checkout/sessions", self._create)
        self.app.router.add_get("/v1/checkout/sessions/{id}", self._retrieve)
        self.app.router.add_post("/v1/checkout/sessions/{id}/expire", self._expire)
        self.app.router.add_get("/v1/webhook_endpoints", self._webhook_endpoints)
        self.app.router.add_post("/v1/refunds", self._refund)
        self._refunded: dict[str, int] = collections.defaultdict(int)  # by payment intent
        self._paid: dict[str, int] = {}  # each payment intent's amount
        from tests.peers.stripe_billing import Billing  # it builds on this module's rules

        self.billing = Billing(self)
        self.billing.routes(self.app.router)
        self.app.router.add_route("*", "/v1/{rest:.*}", self._forward)

    @web.middleware
    async def _rate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """The account's limits, per endpoint and in all (see PER_ENDPOINT_PER_SECOND)."""
        route = request.match_info.route.resource
        path = route.canonical if route else request.path
        if path.endswith("{rest}"):  # forwarded upstream: its ids made one endpoint
            path = re.sub(r"/[a-z]+_[A-Za-z0-9]+", "/{id}", request.path)
        endpoint = f"{request.method} {path}"
        account = request.headers.get("Authorization", "")
        for key, limit in (((account, endpoint), PER_ENDPOINT_PER_SECOND),
                           ((account, "*"), SANDBOX_PER_SECOND)):  # fmt: skip
            if self._admitted.setdefault(key, PerSecond(limit)).wait():
                self.rate_limited += 1
                return _error(429, RATE_LIMITED, code="rate_limit")
        return await handler(request)

    @web.middleware
    async def _idempotent(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """docs.stripe.com/api/idempotent_requests: a key's first result is saved and replayed
        for the same key and parameters, per account; "Results are only saved if an API
        endpoint started executing. If incoming parameters failed validation … no idempotent
        result is saved"; replays carry `Idempotent-Replayed: true`."""
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            return await handler(request)
        scope = (request.headers.get("Authorization", ""), key)
        asked = (request.path, sorted((await request.post()).items()))  # type: ignore[arg-type]
        kept = self._kept.get(scope)
        # "keys are eligible to be removed from the system automatically after they're at
        # least 24 hours old" (docs.stripe.com/api/idempotent_requests)
        if kept is not None and self.clock.now() - kept.at >= KEY_KEPT:
            del self._kept[scope]
            kept = None
        if kept is not None and kept.asked != asked:
            return _error(400, KEY_REUSED.format(key=key), "idempotency_error")
        if kept is not None:
            self.replayed.append(key)
            return web.Response(
                body=kept.body,
                status=kept.status,
                content_type="application/json",
                headers={"Idempotent-Replayed": "true"},
            )
        if scope in self._executing:
            return _error(
                409, KEY_IN_USE.format(key=key), "idempotency_error", code="idempotency_key_in_use"
            )
        self._executing.add(scope)
        try:
            reply = await handler(request)
        finally:
            self._executing.discard(scope)
        if isinstance(reply, web.Response) and reply.status not in (400, 401, 404, 429):
            body = bytes(reply.body)  # type: ignore[arg-type]
            self._kept[scope] = _Kept(asked, reply.status, body, self.clock.now())
        return reply

    async def _forward(self, request: web.Request) -> web.Response:
        if self.upstream is None:
            return _error(404, f"Unrecognized request URL ({request.method}: {request.path})")
        await asyncio.sleep(self.latency)
        headers = {
            k: v
            for k, v in request.headers.items()
            if k in ("Authorization", "Content-Type", "Stripe-Version")
        }
        async with (
            ClientSession() as session,
            session.request(
                request.method,
                f"{self.upstream}{request.path_qs}",
                data=await request.read(),
                headers=headers,
            ) as reply,
        ):
            return web.Response(
                body=await reply.read(), status=reply.status, content_type="application/json"
            )

    async def _authorised(self, request: web.Request) -> dict[str, Any] | web.Response:
        # docs.stripe.com/api/authentication: a test mode secret key as a bearer token
        if not request.headers.get("Authorization", "").startswith("Bearer sk_test_"):
            return _error(401, "Invalid API Key provided", "invalid_request_error")
        self._lapse()
        params = unflatten(dict(await request.post()))  # type: ignore[arg-type]
        headers = {k: v for k, v in request.headers.items() if k.startswith("Idempotency")}
        self.requests.append((request.method, request.path, params, headers))
        return params

    async def _create(self, request: web.Request) -> web.Response:
        params = await self._authorised(request)
        if isinstance(params, web.Response):
            return params
        try:
            session, private = self._session(params)
        except Refused as refused:
            return _error(400, refused.message, code=refused.code, param=refused.param)
        self.sessions[session["id"]] = session
        if private is not None:
            self.billing.remember(session["id"], private)
        return web.json_response(session)

    def _session(self, params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
        mode = params.get("mode")
        if mode not in ("payment", "subscription"):  # the peer keeps no `setup` mode
            raise Refused("mode must be payment or subscription", "mode")
        items = params.get("line_items")
        if not isinstance(items, list) or not items:
            raise Refused("line_items is required", "line_items")
        if mode == "subscription":
            currency, total, extra, private = self.billing.subscription_checkout(params, items)
            return self._session_shape(params, mode, currency, total, extra), private
        if "subscription_data" in params:  # see stripe_billing.NO_SUBSCRIPTION_DATA
            raise Refused(NO_SUBSCRIPTION_DATA, "subscription_data")
        prices = [self.billing.one_time(item, n) for n, item in enumerate(items)]
        for n, price in enumerate(prices):
            if not str(price.get("unit_amount", "")).isdigit() or not price.get("currency"):
                raise Refused("price_data needs unit_amount (an integer) and currency")
            param = f"line_items[{n}][price_data][unit_amount]"
            check_amount(int(price["unit_amount"]), price["currency"], param)
        currency = prices[0]["currency"]
        total = sum(
            int(p["unit_amount"]) * int(i.get("quantity", 1))
            for p, i in zip(prices, items, strict=True)
        )
        if total < MINIMUM_CHARGE.get(currency, 0):
            raise Refused(TOO_SMALL.format(least=least_charge(currency)), code="amount_too_small")
        return self._session_shape(params, "payment", currency, total, {}), None

    def _session_shape(
        self, params: dict[str, Any], mode: str, currency: str, total: int, extra: dict[str, Any]
    ) -> dict[str, Any]:
        now = int(self.clock.now().timestamp())
        expires_at = int(params.get("expires_at") or now + LONGEST.total_seconds())
        if expires_at - now < SHORTEST.total_seconds():
            raise Refused(TOO_SOON, "expires_at")
        if expires_at - now > LONGEST.total_seconds():
            raise Refused(TOO_LATE, "expires_at")
        session_id = f"cs_test_{secrets.token_hex(8)}"
        # the shape of a session: docs.stripe.com/api/checkout/sessions/object
        return {
            "id": session_id,
            "object": "checkout.session",
            "mode": mode,
            "status": "open",
            "payment_status": "unpaid",
            "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata", {}),
            "currency": currency,
            "amount_subtotal": total,
            "amount_total": total,
            "created": now,
            "expires_at": expires_at,
            "livemode": False,
            "customer": None,
            "customer_details": None,
            "payment_method_types": ["card"],
            "shipping_address_collection": params.get("shipping_address_collection"),
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
            "payment_intent": None,
            **extra,
        }

    def _lapse(self) -> None:
        """docs.stripe.com/api/checkout/sessions/object#checkout_session_object-expires_at:
        an open session expires by itself at `expires_at`, and Stripe sends
        `checkout.session.expired`."""
        now = self.clock.now().timestamp()
        for session in self.sessions.values():
            if session["status"] == "open" and session["expires_at"] <= now:
                session["status"] = "expired"
                self._event("checkout.session.expired", session)

    def _event(
        self,
        kind: str,
        obj: dict[str, Any],
        request: dict[str, str | None] | None = None,
        previous: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """An event in the shape of docs.stripe.com/api/events/object (and the fixtures of
        github.com/stripe/openapi): `request` names the API call that caused it, if any; an
        `*.updated` event carries the changed fields' old values as `previous_attributes`."""
        data: dict[str, Any] = {"object": copy.deepcopy(obj)}
        if previous is not None:
            data["previous_attributes"] = copy.deepcopy(previous)
        event = {
            "id": f"evt_{secrets.token_hex(12)}",
            "object": "event",
            "api_version": stripe.api_version,
            "created": int(self.clock.now().timestamp()),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1,
            "request": request or {"id": None, "idempotency_key": None},
            "type": kind,
        }
        self.events.append(event)
        return event

    async def _named_session(self, request: web.Request) -> dict[str, Any] | web.Response:
        """The session in the URL, or the 401/404 Stripe would answer instead."""
        params = await self._authorised(request)
        if isinstance(params, web.Response):
            return params
        session = self.sessions.get(request.match_info["id"])
        if session is None:
            return _error(
                404,
                f"No such checkout.session: '{request.match_info['id']}'",
                code="resource_missing",
                param="session",
            )
        return session

    async def _retrieve(self, request: web.Request) -> web.Response:
        session = await self._named_session(request)
        return session if isinstance(session, web.Response) else web.json_response(session)

    async def _expire(self, request: web.Request) -> web.Response:
        session = await self._named_session(request)
        if isinstance(session, web.Response):
            return session
        if session["status"] != "open":
            return _error(400, NOT_OPEN)
        session["status"] = "expired"
        caused_by = {
            "id": f"req_{secrets.token_hex(7)}",
            "idempotency_key": request.headers.get("Idempotency-Key"),
        }
        self._event("checkout.session.expired", session, caused_by)
        return web.json_response(session)

    async def complete(self, session_id: str, card: str | None = "pm_card_visa") -> dict[str, Any]:
        """The fan pays on Stripe's page; returns the webhook event Stripe would send. An
        expired session can no longer be paid. A `subscription`-mode session subscribes the
        fan with `card` (see tests/peers/stripe_billing.py for the test cards)."""
        self._lapse()
        session = self.sessions[session_id]
        if session["status"] != "open":
            raise ValueError(f"session {session_id} is {session['status']}: it takes no payment")
        if session["mode"] == "subscription":
            return await self.billing.complete(session, card)
        session |= {
            "status": "complete",
            "payment_status": "paid",
            "payment_intent": await self._pay(session),
            "customer_details": {"email": "fan@example.com", "name": "A Fan"},
        }
        return self._event("checkout.session.completed", session)

    async def _pay(self, session: dict[str, Any]) -> str:
        """A succeeded payment intent for the session: in localstripe when there is one."""
        return await self._pay_amount(int(session["amount_total"]), str(session["currency"]))

    async def _pay_amount(self, amount: int, currency: str) -> str:
        """A succeeded payment intent for `amount`: in localstripe when there is one, so that
        refunds find it."""
        if self.upstream is None:
            return f"pi_{secrets.token_hex(8)}"
        params = {
            "amount": amount,
            "currency": currency,
            "payment_method": "pm_card_visa",
            "confirm": "true",
        }
        async with (
            ClientSession() as http,
            http.post(
                f"{self.upstream}/v1/payment_intents",
                data=_form(params),
                headers={"Authorization": "Bearer sk_test_peer"},
            ) as reply,
        ):
            intent = await reply.json()
        self._paid[str(intent["id"])] = amount
        return str(intent["id"])

    async def _refund(self, request: web.Request) -> web.Response:
        """docs.stripe.com/api/refunds/create, forwarded to localstripe, which refunds a
        payment as often as asked; Stripe refuses a refund of a payment refunded in full
        (docs.stripe.com/error-codes#charge-already-refunded)."""
        params = await self._authorised(request)
        if isinstance(params, web.Response):
            return params
        intent = str(params.get("payment_intent", ""))
        paid = self._paid.get(intent)
        if paid is not None and self._refunded[intent] >= paid:
            return _error(
                400,
                f"Charge for {intent} has already been refunded.",
                code="charge_already_refunded",
            )
        reply = await self._forward(request)
        if reply.status == 200 and paid is not None:
            self._refunded[intent] += int(params.get("amount", paid))
        return reply

    async def _webhook_endpoints(self, request: web.Request) -> web.Response:
        """docs.stripe.com/api/webhook_endpoints/list: the account's endpoints as a list
        object (localstripe keeps none)."""
        params = await self._authorised(request)
        if isinstance(params, web.Response):
            return params
        return web.json_response({"object": "list", "url": "/v1/webhook_endpoints",
                                  "has_more": False, "data": self.webhook_endpoints})  # fmt: skip


def webhook_endpoint(url: str, events: list[str], status: str = "enabled") -> dict[str, Any]:
    """An endpoint in the shape of docs.stripe.com/api/webhook_endpoints/object (`secret` is
    shown on creation only); `status` is "enabled" or "disabled"."""
    return {"id": f"we_{secrets.token_hex(12)}", "object": "webhook_endpoint",
            "api_version": None, "application": None, "created": 1700000000,
            "description": None, "enabled_events": events, "livemode": False, "metadata": {},
            "status": status, "url": url}  # fmt: skip
