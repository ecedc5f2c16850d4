"""Refunds as the provider sees them asked for.

`MemoryRefunds.refunded` holds each payment once whatever the core does, as a provider given
our idempotency key refunds it once: a test that counts it can never see the core ask twice.
`CountedRefunds.asked` keeps every refund the core asked for while the provider was up."""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.memory import MemoryRefunds
from core.money import Money


@dataclass
class CountedRefunds(MemoryRefunds):
    asked: list[tuple[str, Money, str]] = field(default_factory=list)  # duplicates kept

    async def refund(self, payment_id: str, amount: Money, reason: str) -> None:
        await super().refund(payment_id, amount, reason)  # raises while the provider is down
        self.asked.append((payment_id, amount, reason))
