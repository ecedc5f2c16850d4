"""Pay links as Stripe Checkout Sessions (the `PayLinks` port).

A session lives at least 30 minutes while a hold lives about 10, so the session is created
with Stripe's minimum lifetime and expired by us when the hold lapses (DESIGN.md §8).
Requests carry idempotency keys derived from our hold ids, so a retry never makes two.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

import stripe

from core.messages import HoldForPayment, PayLink
from core.ports import Clock

SESSION_MINIMUM = timedelta(minutes=30, seconds=30)


class StripeApi:
    """One HTTP session to Stripe (or `STRIPE_API_BASE`) for every SDK call of a process."""

    def __init__(self, secret_key: str, api_base: str | None = None) -> None:
        addresses: Any = {"api": api_base.rstrip("/")} if api_base else None
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
        self.clock = clock
        self.base_url = public_base_url.rstrip("/")
        self.shipping_countries = shipping_countries

    async def create(self, hold: HoldForPayment) -> PayLink:
        session = await self.client.v1.checkout.sessions.create_async(
            self.session_params(hold, self.clock.now()),  # type: ignore[arg-type]
            options={"idempotency_key": f"dropcast-hold-{hold.hold_id}-checkout"},
        )
        return PayLink(url=str(session.url), provider_ref=session.id)

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
                        "unit_amount": hold.price.minor,
                        "product_data": {"name": f"{hold.title}: {hold.tier_name}"},
                    },
                }
            ],
            "client_reference_id": str(hold.hold_id),
            "metadata": {"hold_id": str(hold.hold_id), "fan_id": str(hold.fan_id)},
            "success_url": f"{self.base_url}/paid?hold={hold.hold_id}",
            "cancel_url": f"{self.base_url}/not-paid?hold={hold.hold_id}",
            "expires_at": int((max(hold.expires_at, now + SESSION_MINIMUM)).timestamp()),
        }
        if hold.kind == "physical":
            params["shipping_address_collection"] = {"allowed_countries": self.shipping_countries}
        return params
