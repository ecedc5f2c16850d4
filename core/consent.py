"""A fan's yes or no to direct messages, kept as a record the creator can show (invariant
4). Only a change is recorded: saying the same twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from core import sql
from core.events import OrderPaid
from core.fans import FanRef, fan_id_of
from core.kinds import Platform
from core.models import ConsentRecord, Fan, PlatformAccount
from core.ports import Clock

# a yes from a fan who never answered, and its record
_BOUGHT_YES = (
    'UPDATE "fan" SET "dm_opt_in" = {given} WHERE "id" = {fan_id} AND "dm_opt_in" = {was} '
    'AND NOT EXISTS (SELECT 1 FROM "consent_record" WHERE "fan_id" = {fan_id}) RETURNING "id"'
)
# where the fan first came from; {platform} if they have no account left
_RECORD_BOUGHT = (
    'INSERT INTO "consent_record" ("fan_id", "given", "platform", "how", "at") '
    'SELECT {fan_id}, {given}, COALESCE((SELECT "platform" FROM "platform_account" '
    'WHERE "fan_id" = {fan_id} ORDER BY "id" LIMIT 1), {platform}), {how}, {at}'
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

    async def choose(self, fan: FanRef, given: bool, how: str) -> bool:
        """The platform user's own yes or no (`/start`, `/stop`, `/dm`, an opt-out button),
        on the platform they said it on; False when it was their answer already."""
        fan_id = await fan_id_of(fan)
        if given:
            return await self.give(fan_id, fan.platform, how)
        return await self.withdraw(fan_id, fan.platform, how)

    async def history(self, fan_id: int) -> list[ConsentView]:
        records = await ConsentRecord.filter(fan_id=fan_id).order_by("at", "id")
        return [ConsentView(r.given, r.platform.value, r.how, r.at) for r in records]

    async def bought(self, event: OrderPaid) -> None:
        """Buying counts as a yes from a fan who never answered; never over a no. Recorded
        as given where the fan first came from. Two statements: every buyer of a burst
        runs it (bench/webhooks.py)."""
        async with in_transaction():
            if await sql.rows(_BOUGHT_YES, given=True, fan_id=event.fan_id, was=False):
                await sql.rows(
                    _RECORD_BOUGHT, fan_id=event.fan_id, given=True,
                    platform=Platform.SANDBOX.value, how="bought", at=self.clock.now(),
                )  # fmt: skip

    async def _answer(self, fan_id: int, given: bool, platform: Platform, how: str) -> bool:
        async with in_transaction():
            changed = await Fan.filter(id=fan_id, dm_opt_in=not given).update(dm_opt_in=given)
            if changed:
                await ConsentRecord.create(
                    fan_id=fan_id, given=given, platform=platform, how=how[:64], at=self.clock.now()
                )
        return bool(changed)
