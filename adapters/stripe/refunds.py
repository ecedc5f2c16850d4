"""Refunds through Stripe (the `Refunds` port), keyed by the payment, which Stripe refunds
in full once, so a retried refund is made once."""

from __future__ import annotations

from adapters.stripe.amounts import to_stripe
from adapters.stripe.checkout import StripeApi
from core.money import Money


class StripeRefunds:
    def __init__(self, api: StripeApi) -> None:
        self.client = api.client

    async def refund(self, payment_id: str, amount: Money, reason: str) -> None:
        await self.client.v1.refunds.create_async(
            {
                "payment_intent": payment_id,
                "amount": to_stripe(amount),
                "metadata": {"reason": reason[:500]},
            },
            options={"idempotency_key": f"dropcast-refund-{payment_id}"},
        )
