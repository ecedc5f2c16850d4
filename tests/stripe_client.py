"""The stripe library as our code uses it, pointed at a test peer: no retries between a
refusal and the test that expects it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import stripe


@asynccontextmanager
async def stripe_client(url: str, key: str = "sk_test_peer") -> AsyncIterator[stripe.StripeClient]:
    http = stripe.AIOHTTPClient()
    try:
        yield stripe.StripeClient(
            key, base_addresses={"api": url}, http_client=http, max_network_retries=0
        )
    finally:
        await http.close_async()  # type: ignore[no-untyped-call]
