"""Refunds through Stripe (the `Refunds` port), keyed so a retried refund is made once."""

from __future__ import annotations

from adapters.stripe.checkout import StripeApi
from core.money import Money


class StripeRefunds:
    def __init__(self, api: StripeApi) -> None:
        self.client = api.client

    async def refund(self, payment_id: str, amount: Money, reason: str) -> None:
        await self.client.v1.refunds.create_async(
            {
                "payment_intent": payment_id,
                "amount": amount.minor,
                "metadata": {"reason": reason[:500]},
            },
            options={"idempotency_key": f"dropcast-refund-{payment_id}"},
        )
