"""The business as the database has it right now, for `/metrics`: read at each scrape, so
every web process shows the same figures and a restart loses none."""

from __future__ import annotations

from dataclasses import dataclass

from core import sql
from core.inbox import Inbox
from core.kinds import HoldStatus, NoticeStatus, OrderStatus
from core.notices import Notices

_HELD = 'SELECT COUNT(*) AS "n" FROM "reservation" WHERE "status" = {status}'
_PAID = (
    'SELECT "currency", COUNT(*) AS "orders", SUM("amount_minor") AS "minor" FROM "order" '
    'WHERE "status" = {status} GROUP BY "currency"'
)


@dataclass(frozen=True, slots=True)
class Paid:
    orders: int
    minor: int  # their amounts added up, in the currency's minor units


@dataclass(frozen=True, slots=True)
class Figures:
    holds_held: int
    paid: dict[str, Paid]  # by currency; a currency with no paid order is absent
    events_waiting: int  # provider events kept, not yet handled
    events_failing: int  # of them, those whose handling failed at least once
    notices: dict[str, int]  # by status, every status present


async def figures(inbox: Inbox, notices: Notices) -> Figures:
    [held] = await sql.rows(_HELD, status=HoldStatus.HELD.value)
    paid = await sql.rows(_PAID, status=OrderStatus.PAID.value)
    backlog = await inbox.backlog()
    counts = await notices.counts()
    return Figures(
        holds_held=int(held["n"]),
        paid={row["currency"]: Paid(int(row["orders"]), int(row["minor"])) for row in paid},
        events_waiting=backlog.waiting,
        events_failing=backlog.failing,
        notices={status.value: counts.get(status.value, 0) for status in NoticeStatus},
    )
