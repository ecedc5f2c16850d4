"""Pay links as Stripe Checkout Sessions (the `PayLinks` port).

A session lives at least 30 minutes while a hold lives about 10, so the session is made to
outlive the hold by Stripe's minimum and is expired by us when the hold lapses. Its
`expires_at` follows from the hold's, not from the time of asking, so asking again for the
same hold is the very same request: it carries the same idempotency key and Stripe answers
with the first session. The key also holds a digest of the request, because hold ids start
again at 1 in a fresh database while the Stripe account remembers its keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from datetime import datetime, timedelta
from typing import Any

import stripe
import structlog

from adapters.stripe.amounts import to_stripe_charge
from core.errors import InvalidInput
from core.messages import HoldForPayment, PayLink
from core.pace import take_turn
from core.ports import Clock

log = structlog.get_logger(__name__)

SESSION_MINIMUM = timedelta(minutes=30, seconds=30)
SESSION_LONGEST = timedelta(hours=23, minutes=59)
# docs.stripe.com/rate-limits: "API endpoints have a default limit of 25 requests per second"
# per account, however many processes call: a rush's pay links take turns in one schedule
# for the account (core/pace.py), a little under it, and a 429 all the same is waited out
SESSIONS_PER_SECOND = 20
RATE_LIMITED_TRIES = 3


class StripeApi:
    """One HTTP session to Stripe (or `STRIPE_API_BASE`) for every SDK call of a process."""

    def __init__(self, secret_key: str, api_base: str | None = None) -> None:
        addresses: Any = {"api": api_base.rstrip("/")} if api_base else None
        # the account's schedule in send_pace, named without the key itself
        self.schedule = "stripe:" + hashlib.sha256(secret_key.encode()).hexdigest()[:16]
        self.http = stripe.AIOHTTPClient()
        self.client = stripe.StripeClient(
            secret_key, base_addresses=addresses, http_client=self.http, max_network_retries=2
        )

    async def close(self) -> None:
        await self.http.close_async()  # type: ignore[no-untyped-call]  # untyped in stripe


class StripeCheckout:
    def __init__(
        self,
        api: StripeApi,
        clock: Clock,
        public_base_url: str,
        shipping_countries: list[str],
    ) -> None:
        self.client = api.client
        self.schedule = api.schedule
        self.clock = clock
        self.base_url = public_base_url.rstrip("/")
        self.shipping_countries = shipping_countries

    async def create(self, hold: HoldForPayment) -> PayLink:
        try:
            params = self.session_params(hold, self.clock.now())
        except InvalidInput as refused:  # the fan reads why; the creator's log says which tier
            log.error(
                "stripe_cannot_charge",
                hold_id=hold.hold_id,
                tier=hold.tier_name,
                reason=str(refused),
            )
            raise
        options: Any = {"idempotency_key": request_key(f"dropcast-hold-{hold.hold_id}", params)}
        for attempt in range(1, RATE_LIMITED_TRIES):
            with contextlib.suppress(stripe.RateLimitError):  # the account's other calls
                return await self._session(params, options)  # took this second: wait it out
            await asyncio.sleep(attempt)
        return await self._session(params, options)

    async def _session(self, params: dict[str, Any], options: Any) -> PayLink:
        """A Checkout session, asked for at this account's next turn."""
        await asyncio.sleep(await self._turn())
        session = await self.client.v1.checkout.sessions.create_async(params, options)  # type: ignore[arg-type]
        return PayLink(url=str(session.url), provider_ref=session.id)

    async def _turn(self) -> float:
        """Seconds until this session may be asked for, in the account's one schedule."""
        return await take_turn(self.schedule, 1 / SESSIONS_PER_SECOND, time.time()) or 0.0

    async def cancel(self, provider_ref: str) -> None:
        # already complete or expired: nothing left to stop
        with contextlib.suppress(stripe.InvalidRequestError):
            await self.client.v1.checkout.sessions.expire_async(provider_ref)

    def session_params(self, hold: HoldForPayment, now: datetime) -> dict[str, Any]:
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": hold.price.currency.lower(),
                        "unit_amount": to_stripe_charge(hold.price),
                        "product_data": {"name": f"{hold.title}: {hold.tier_name}"},
                    },
                }
            ],
            "client_reference_id": str(hold.hold_id),
            "metadata": {"hold_id": str(hold.hold_id), "fan_id": str(hold.fan_id)},
            "success_url": f"{self.base_url}/paid?hold={hold.hold_id}",
            "cancel_url": f"{self.base_url}/not-paid?hold={hold.hold_id}",
            "expires_at": int(session_end(hold.expires_at, now).timestamp()),
        }
        if hold.pickup is not None:  # picked up at a pop-up: no address to ask for
            params["line_items"][0]["price_data"]["product_data"]["description"] = hold.pickup
        elif hold.kind == "physical":
            params["shipping_address_collection"] = {"allowed_countries": self.shipping_countries}
        return params


def session_end(hold_ends: datetime, now: datetime) -> datetime:
    """Stripe's minimum after the hold ends, within the 30 minutes to 24 hours from now
    Stripe allows (an overdue hold, a hold of nearly a day)."""
    return min(max(hold_ends, now) + SESSION_MINIMUM, now + SESSION_LONGEST)


def request_key(name: str, params: dict[str, Any]) -> str:
    """An idempotency key for exactly this request: a retry reuses it, a different request
    (or another database's hold with the same id) gets its own."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()
    return f"{name}-{digest[:32]}"
