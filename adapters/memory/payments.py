"""Pay links and refunds without a payment provider: the sandbox's fans 'pay' in process."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.errors import ProviderUnreachable
from core.messages import HoldForPayment, PayLink
from core.money import Money


@dataclass
class MemoryPayLinks:
    created: dict[str, HoldForPayment] = field(default_factory=dict)
    cancelled: set[str] = field(default_factory=set)

    async def create(self, hold: HoldForPayment) -> PayLink:
        ref = f"memory-checkout-{hold.hold_id}"
        self.created[ref] = hold
        return PayLink(url=f"sandbox://pay/{hold.hold_id}", provider_ref=ref)

    async def cancel(self, provider_ref: str) -> None:
        self.cancelled.add(provider_ref)


@dataclass
class MemoryRefunds:
    """Refunds each payment at most once, as a provider does given our idempotency keys;
    while `failing`, out of reach as a provider can be (`ProviderUnreachable`: it waits)."""

    refunded: list[tuple[str, Money, str]] = field(default_factory=list)
    failing: bool = False

    async def refund(self, payment_id: str, amount: Money, reason: str) -> None:
        if self.failing:
            raise ProviderUnreachable("refund provider unreachable")
        if all(payment_id != done for done, _, _ in self.refunded):
            self.refunded.append((payment_id, amount, reason))
