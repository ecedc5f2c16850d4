"""Every subscription of a Stripe account that still bills, for `dropcast plan import`:
GET /v1/subscriptions page by page (docs.stripe.com/api/subscriptions/list: at most 100 a
page, newest first, the next page `starting_after` the last one's id while `has_more`),
each with its customer expanded for their email."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import stripe

PAGE = 100  # the most Stripe lists at once
# Stripe's statuses of a subscription that bills: trialing, active, past_due (retrying the
# card). Listing without `status` gives every one not canceled; the rest are left out here
STILL_BILLING = frozenset({"trialing", "active", "past_due"})


async def still_billing(
    client: stripe.StripeClient, turn: Callable[[], Awaitable[None]]
) -> AsyncIterator[dict[str, Any]]:
    """Each subscription that still bills, as Stripe's JSON; `turn` waits for the account's
    next turn to call Stripe (core/pace.py)."""
    after: str | None = None
    while True:
        params: dict[str, Any] = {"limit": PAGE, "expand": ["data.customer"]}
        if after is not None:
            params["starting_after"] = after
        await turn()
        page = await client.v1.subscriptions.list_async(params)  # type: ignore[arg-type]
        for sub in page.data:
            if sub.status in STILL_BILLING:
                yield sub.to_dict()
        if not page.has_more or not page.data:
            return
        after = page.data[-1].id
