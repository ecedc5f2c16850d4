"""A fan's yes or no to direct messages, kept as a record the creator can show (invariant
4). Only a change is recorded: saying the same twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from core import sql
from core.events import OrderPaid
from core.models import ConsentRecord, Fan, Platform, PlatformAccount
from core.ports import Clock

# a yes from a fan who never answered, and its record
_BOUGHT_YES = (
    'UPDATE "fan" SET "dm_opt_in" = {0} WHERE "id" = {1} AND "dm_opt_in" = {2} '
    'AND NOT EXISTS (SELECT 1 FROM "consent_record" WHERE "fan_id" = {3}) RETURNING "id"'
)
_RECORD_BOUGHT = (
    'INSERT INTO "consent_record" ("fan_id", "given", "platform", "how", "at") SELECT {0}, {1}, '
    'COALESCE((SELECT "platform" FROM "platform_account" WHERE "fan_id" = {2} ORDER BY "id" '
    "LIMIT 1), {3}), {4}, {5}"
)


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
        """Buying counts as a yes from a fan who never answered; never over a no. Recorded
        as given where the fan first came from. Two statements: every buyer of a burst
        runs it (bench/webhooks.py)."""
        async with in_transaction():
            if await sql.rows(_BOUGHT_YES, True, event.fan_id, False, event.fan_id):
                platform = Platform.SANDBOX.value
                values = (event.fan_id, True, event.fan_id, platform, "bought", self.clock.now())
                await sql.rows(_RECORD_BOUGHT, *values)

    async def _answer(self, fan_id: int, given: bool, platform: Platform, how: str) -> bool:
        async with in_transaction():
            changed = await Fan.filter(id=fan_id, dm_opt_in=not given).update(dm_opt_in=given)
            if changed:
                await ConsentRecord.create(
                    fan_id=fan_id, given=given, platform=platform, how=how[:64], at=self.clock.now()
                )
        return bool(changed)
