"""Time's part, run by the clock's tick (core/app.py): unredeemed tokens past their expiry
expire, and redeemed tokens' perk windows start and end. Each is a conditional update that
claims its rows, with its events in the same transaction, so a restart or a second clock
changes nothing twice and loses nothing."""

from __future__ import annotations

from core import sql
from core.bus import EventBus
from core.events import TokenWindowMoved
from core.ports import Clock

_EXPIRE = (
    'UPDATE "perk_token" SET "expired_at" = {now} WHERE "redeemed_at" IS NULL '
    'AND "expired_at" IS NULL AND "expires_at" <= {now} RETURNING "id"'
)
# only a set's Perk has anything to hand over; member prices and early access are read
# against the window itself (core/drops/members.py)
_WITH_PERK = '"token_set_id" IN (SELECT "id" FROM "perk_token_set" WHERE "perk_id" IS NOT NULL)'
_START = (
    'UPDATE "perk_token" SET "perk_given_at" = {now} WHERE "perk_given_at" IS NULL '
    'AND "perk_from" <= {now} AND "perk_until" > {now} AND "holder_id" IS NOT NULL '
    f'AND {_WITH_PERK} RETURNING "id", "holder_id"'
)
_END = (
    'UPDATE "perk_token" SET "perk_ended_at" = {now} WHERE "perk_ended_at" IS NULL '
    'AND "perk_until" <= {now} AND "holder_id" IS NOT NULL '
    f'AND {_WITH_PERK} RETURNING "id", "holder_id"'
)


class Expiring:
    def __init__(self, clock: Clock, bus: EventBus) -> None:
        self.clock = clock
        self.bus = bus

    async def expire_due(self) -> int:
        """Tokens nobody redeemed in time expire; returns how many."""
        return len(await sql.rows(_EXPIRE, now=self.clock.now()))

    async def move_windows(self) -> int:
        """Windows that started or ended by time: their perks follow; returns how many."""
        now = self.clock.now()
        async with self.bus.transaction() as changes:
            for statement, started in ((_START, True), (_END, False)):
                for row in await sql.rows(statement, now=now):
                    changes.add(
                        TokenWindowMoved(now, int(row["id"]), int(row["holder_id"]), started)
                    )
            return len(changes.events)
