"""Refunds through Stripe (the `Refunds` port), keyed by the payment, which Stripe refunds
in full once, so a retried refund is made once; after Stripe forgets the key (24 hours) a
repeat is answered `charge_already_refunded`, which is the refund done. Stripe out of reach
(no connection, its own errors, its rate limit, after the SDK's retries) is
`ProviderUnreachable`: the order stays `refund_pending` and the clock tries again, as it
does for any provider."""

from __future__ import annotations

import stripe

from adapters.stripe.amounts import to_stripe
from adapters.stripe.checkout import StripeApi
from core.errors import ProviderUnreachable
from core.money import Money

ALREADY_REFUNDED = "charge_already_refunded"  # docs.stripe.com/error-codes
UNREACHABLE = (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)


class StripeRefunds:
    def __init__(self, api: StripeApi) -> None:
        self.client = api.client

    async def refund(self, payment_id: str, amount: Money, reason: str) -> None:
        try:
            await self.client.v1.refunds.create_async(
                {
                    "payment_intent": payment_id,
                    "amount": to_stripe(amount),
                    "metadata": {"reason": reason[:500]},
                },
                options={"idempotency_key": f"dropcast-refund-{payment_id}"},
            )
        except stripe.InvalidRequestError as error:
            if error.code != ALREADY_REFUNDED:
                raise
        except UNREACHABLE as error:
            raise ProviderUnreachable(
                f"Stripe did not answer the refund ({type(error).__name__}); it waits"
            ) from error
