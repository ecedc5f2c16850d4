"""A loopback stand-in for Stripe's Checkout Sessions API (localstripe has none).

It reads the form encoding the `stripe` library sends (`line_items[0][price_data][currency]`),
answers in Stripe's JSON shape and error shape, honours `Idempotency-Key`, enforces the
30-minute to 24-hour `expires_at` window, and records every request so tests can assert on
what our code sent. `complete()` pays a session the way a fan would on Stripe's page and
returns the `checkout.session.completed` event Stripe would send.

Every other `/v1/…` request goes on to `upstream` (localstripe), so one `STRIPE_API_BASE`
serves the whole Stripe API our code uses; completed sessions pay a real payment intent there,
which later refunds find.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from aiohttp import ClientSession, web

from core.ports import Clock

_KEY_PART = re.compile(r"[^\[\]]+")


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


def _error(status: int, message: str, kind: str = "invalid_request_error") -> web.Response:
    return web.json_response({"error": {"type": kind, "message": message}}, status=status)


class StripeCheckoutPeer:
    def __init__(self, clock: Clock, upstream: str | None = None) -> None:
        self.clock = clock
        self.upstream = upstream
        self.sessions: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, dict[str, Any], dict[str, str]]] = []
        self._idempotent: dict[str, dict[str, Any]] = {}
        self.app = web.Application()
        self.app.router.add_post("/v1/checkout/sessions", self._create)
        self.app.router.add_get("/v1/checkout/sessions/{id}", self._retrieve)
        self.app.router.add_post("/v1/checkout/sessions/{id}/expire", self._expire)
        self.app.router.add_route("*", "/v1/{rest:.*}", self._forward)

    async def _forward(self, request: web.Request) -> web.Response:
        if self.upstream is None:
            return _error(404, f"Unrecognized request URL ({request.method}: {request.path})")
        headers = {
            k: v
            for k, v in request.headers.items()
            if k in ("Authorization", "Content-Type", "Idempotency-Key", "Stripe-Version")
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
        if not request.headers.get("Authorization", "").startswith("Bearer sk_test_"):
            return _error(401, "Invalid API Key provided", "invalid_request_error")
        params = unflatten(dict(await request.post()))
        headers = {k: v for k, v in request.headers.items() if k.startswith("Idempotency")}
        self.requests.append((request.method, request.path, params, headers))
        return params

    async def _create(self, request: web.Request) -> web.Response:
        params = await self._authorised(request)
        if isinstance(params, web.Response):
            return params
        key = request.headers.get("Idempotency-Key")
        if key and key in self._idempotent:
            return web.json_response(self._idempotent[key])
        problem = self._invalid(params)
        if problem:
            return _error(400, problem)
        session = self._session(params)
        self.sessions[session["id"]] = session
        if key:
            self._idempotent[key] = session
        return web.json_response(session)

    def _invalid(self, params: dict[str, Any]) -> str | None:
        if params.get("mode") != "payment":
            return "mode must be payment"
        items = params.get("line_items")
        if not isinstance(items, list) or not items:
            return "line_items is required"
        for item in items:
            price = item.get("price_data", {})
            if not str(price.get("unit_amount", "")).isdigit() or not price.get("currency"):
                return "price_data needs unit_amount (an integer) and currency"
        expires = int(params.get("expires_at", 0)) - int(self.clock.now().timestamp())
        if params.get("expires_at") and not (
            timedelta(minutes=30).total_seconds() <= expires <= timedelta(hours=24).total_seconds()
        ):
            return "expires_at must be 30 minutes to 24 hours from now"
        return None

    def _session(self, params: dict[str, Any]) -> dict[str, Any]:
        session_id = f"cs_test_{secrets.token_hex(8)}"
        items = params["line_items"]
        return {
            "id": session_id,
            "object": "checkout.session",
            "mode": "payment",
            "status": "open",
            "payment_status": "unpaid",
            "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata", {}),
            "currency": items[0]["price_data"]["currency"],
            "amount_total": sum(
                int(i["price_data"]["unit_amount"]) * int(i.get("quantity", 1)) for i in items
            ),
            "expires_at": int(params.get("expires_at", 0)) or None,
            "shipping_address_collection": params.get("shipping_address_collection"),
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
            "payment_intent": None,
        }

    async def _named_session(self, request: web.Request) -> dict[str, Any] | web.Response:
        """The session in the URL, or the 401/404 Stripe would answer instead."""
        params = await self._authorised(request)
        if isinstance(params, web.Response):
            return params
        session = self.sessions.get(request.match_info["id"])
        if session is None:
            return _error(404, f"No such checkout.session: '{request.match_info['id']}'")
        return session

    async def _retrieve(self, request: web.Request) -> web.Response:
        session = await self._named_session(request)
        return session if isinstance(session, web.Response) else web.json_response(session)

    async def _expire(self, request: web.Request) -> web.Response:
        session = await self._named_session(request)
        if isinstance(session, web.Response):
            return session
        if session["status"] != "open":
            return _error(400, "Only Checkout Sessions with a status of open can be expired.")
        session["status"] = "expired"
        return web.json_response(session)

    async def complete(self, session_id: str) -> dict[str, Any]:
        """The fan pays on Stripe's page; returns the webhook event Stripe would send."""
        session = self.sessions[session_id]
        session |= {
            "status": "complete",
            "payment_status": "paid",
            "payment_intent": await self._pay(session),
        }
        return {
            "id": f"evt_{secrets.token_hex(8)}",
            "object": "event",
            "type": "checkout.session.completed",
            "data": {"object": dict(session)},
        }

    async def _pay(self, session: dict[str, Any]) -> str:
        """A succeeded payment intent for the session: in localstripe when there is one."""
        if self.upstream is None:
            return f"pi_{secrets.token_hex(8)}"
        params = {
            "amount": session["amount_total"],
            "currency": session["currency"],
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
        return str(intent["id"])
