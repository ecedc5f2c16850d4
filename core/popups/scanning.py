"""Handing over a pickup: a pass scanned at a pop-up is collected exactly once. Two phones
scanning the same pass at the same moment both ask one conditional update; the database lets
one of them set `collected_at` and the other finds it set (docs/architecture.md, "Invariants")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from core import sql
from core.kinds import OrderStatus
from core.models.popups import PopUp
from core.popups.pass_views import PassStatus, PassView, pass_view
from core.popups.passes import PassCodes
from core.ports import Clock

# a pass sent to the bot is scanned at its own pop-up, from a day before its window to a
# day after: staff setting up early or clearing up late
BOT_MARGIN = timedelta(days=1)
_COLLECT = (
    'UPDATE "pickup_pass" SET "collected_at" = {now}, "collected_by" = {staff} '
    'WHERE "id" = {pass_id} AND "pop_up_id" = {pop_up_id} AND "collected_at" IS NULL '
    'AND "resolution" IS NULL AND "order_id" IN (SELECT "id" FROM "order" WHERE "status" = {paid}) '
    'RETURNING "id"'
)


class ScanOutcome(StrEnum):
    VALID = "valid"  # hand it over: this scan collected it
    COLLECTED = "collected"  # collected before, at `pass_.collected_at`
    ELSEWHERE = "elsewhere"  # the pass is for another pop-up, `place`
    REFUNDED = "refunded"
    SHIPPED = "shipped"
    UNPAID = "unpaid"
    UNKNOWN = "unknown"  # not a pass code we made
    NOT_NOW = "not_now"  # sent to the bot outside its pop-up's window


REFUSED = {
    PassStatus.COLLECTED: ScanOutcome.COLLECTED,
    PassStatus.REFUNDED: ScanOutcome.REFUNDED,
    PassStatus.SHIPPED: ScanOutcome.SHIPPED,
    PassStatus.UNPAID: ScanOutcome.UNPAID,
}


@dataclass(frozen=True, slots=True)
class ScanResult:
    outcome: ScanOutcome
    pass_: PassView | None = None
    place: str = ""  # ELSEWHERE: where the pass is picked up


class Scanning:
    def __init__(self, clock: Clock, codes: PassCodes) -> None:
        self.clock = clock
        self.codes = codes

    async def collect(self, code: str, pop_up_id: int, staff: str) -> ScanResult:
        """The pass `code` (or its address) handed over at `pop_up_id` by `staff`, once."""
        read = await self.codes.read(code)
        if read is None:
            return ScanResult(ScanOutcome.UNKNOWN)
        if read.pop_up_id != pop_up_id:
            other = await PopUp.get_or_none(id=read.pop_up_id)
            if other is None:
                return ScanResult(ScanOutcome.UNKNOWN)
            return ScanResult(ScanOutcome.ELSEWHERE, place=other.place)
        taken = await sql.rows(
            _COLLECT, now=self.clock.now(), staff=staff, pass_id=read.pass_id,
            pop_up_id=pop_up_id, paid=OrderStatus.PAID.value,
        )  # fmt: skip
        view = await pass_view(read.pass_id, pop_up_id)
        if view is None:
            return ScanResult(ScanOutcome.UNKNOWN)
        if taken:
            return ScanResult(ScanOutcome.VALID, view)
        return ScanResult(REFUSED.get(view.status, ScanOutcome.UNKNOWN), view)

    async def collect_now(self, code: str, staff: str) -> ScanResult:
        """A pass sent to a bot by an admin: collected at its own pop-up, while that pop-up
        is on (`BOT_MARGIN`)."""
        view = await self.look_up(code)
        if view is None:
            return ScanResult(ScanOutcome.UNKNOWN)
        now = self.clock.now()
        if not view.starts_at - BOT_MARGIN <= now <= view.ends_at + BOT_MARGIN:
            return ScanResult(ScanOutcome.NOT_NOW, view)
        return await self.collect(code, view.pop_up_id, staff)

    async def look_up(self, code: str) -> PassView | None:
        """The pass a code stands for, for its page; None for a code we did not make."""
        read = await self.codes.read(code)
        return None if read is None else await pass_view(read.pass_id, read.pop_up_id)
