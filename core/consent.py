"""A fan's yes or no to direct messages, kept as a record the creator can show (invariant
4). Only a change is recorded: saying the same twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from core.events import OrderPaid
from core.models import ConsentRecord, Fan, Platform, PlatformAccount
from core.ports import Clock


@dataclass(frozen=True, slots=True)
class ConsentView:
    given: bool
    platform: str
    how: str
    at: datetime


class Consent:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def give(self, fan_id: int, platform: Platform, how: str) -> bool:
        """The fan said yes where they are now; they can be reached there again too.
        False when they had said yes already."""
        await PlatformAccount.filter(fan_id=fan_id, platform=platform).update(dm_reachable=True)
        return await self._answer(fan_id, True, platform, how)

    async def withdraw(self, fan_id: int, platform: Platform, how: str) -> bool:
        """False when they had said no already (or never said yes)."""
        return await self._answer(fan_id, False, platform, how)

    async def history(self, fan_id: int) -> list[ConsentView]:
        records = await ConsentRecord.filter(fan_id=fan_id).order_by("at", "id")
        return [ConsentView(r.given, r.platform.value, r.how, r.at) for r in records]

    async def bought(self, event: OrderPaid) -> None:
        """Buying counts as a yes from a fan who never answered; never over a no."""
        if await ConsentRecord.exists(fan_id=event.fan_id):
            return
        account = await PlatformAccount.filter(fan_id=event.fan_id).order_by("id").first()
        platform = account.platform if account else Platform.SANDBOX
        await self._answer(event.fan_id, True, platform, "bought")

    async def _answer(self, fan_id: int, given: bool, platform: Platform, how: str) -> bool:
        async with in_transaction():
            changed = await Fan.filter(id=fan_id, dm_opt_in=not given).update(dm_opt_in=given)
            if changed:
                await ConsentRecord.create(
                    fan_id=fan_id, given=given, platform=platform, how=how[:64], at=self.clock.now()
                )
        return bool(changed)
