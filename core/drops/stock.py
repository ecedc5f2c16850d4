"""The only code that moves stock: conditional updates, never read-then-write.

Each write must run inside a transaction whose first statement is the write, so SQLite
takes its write lock up front (busy timeout applies) and PostgreSQL locks the tier row.
The statements of a Buy tap are written by hand: in a burst every fan runs them, and the
ORM's query building costs about ten times the statement itself (bench/drop_burst.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import F

from core import sql
from core.drops.members import MEMBER_MINUTES, minutes_from
from core.events import DomainEvent, DropReopened, DropSoldOut
from core.kinds import DropStatus, FanTier, HoldStatus, TierKind
from core.models import Drop, DropTier, Reservation
from core.money import Money

SELLABLE = (DropStatus.SCHEDULED, DropStatus.OPEN, DropStatus.SOLD_OUT)
ACTIVE_HOLDS = (HoldStatus.HELD, HoldStatus.PAID)
_SELLABLE = tuple(status.value for status in SELLABLE)
_ACTIVE = tuple(status.value for status in ACTIVE_HOLDS)

# what TierState reads, from a tier `t` joined to its drop `d`
TIER_COLUMNS = (
    "t.id AS tier_id, t.name, t.kind, t.available, t.per_fan_limit, t.price_minor, "
    "t.currency, t.member_price_minor, t.members_only, t.content, t.perk_id, d.id AS drop_id, "
    "d.title, d.status, d.opens_at, d.closes_at, d.early_access_tier, d.early_access_minutes, "
    "d.hold_minutes, d.members_only AS drop_members_only"
)
# the price a hold `r` was placed at (`held_price`), beside TIER_COLUMNS
HELD_PRICE = "r.price_minor AS held_minor"
_TIER_STATE = (
    f'SELECT {TIER_COLUMNS} FROM "drop_tier" t JOIN "drop" d ON d.id = t.drop_id '
    "WHERE t.id = {tier_id}"
)
# the tier, the newest hold this fan still has to pay on it (a tap again offers it back), and
# what their membership gives them: one read for a Buy tap, sold out or not (bench/drop_burst.py)
_TIER_FOR_FAN = (
    f"SELECT {TIER_COLUMNS}, h.id AS held_id, h.expires_at AS held_until, "
    f'h.price_minor AS held_minor, ({MEMBER_MINUTES}) AS member_minutes FROM "drop_tier" t '
    'JOIN "drop" d ON d.id = t.drop_id LEFT JOIN "reservation" h ON h.id = '
    '(SELECT r.id FROM "reservation" r WHERE r.tier_id = t.id AND r.fan_id = {fan_id} '
    "AND r.status = 'held' AND r.expires_at > {now} ORDER BY r.id DESC LIMIT 1) "
    "WHERE t.id = {tier_id}"
)
_TAKE_UNIT = (
    'UPDATE "drop_tier" SET "available" = "available" - 1 WHERE "id" = {tier_id} '
    'AND "available" >= 1 AND "drop_id" IN (SELECT "id" FROM "drop" WHERE "status" IN '
    '({sellable})) RETURNING "available"'
)
_PAY_HOLD = (
    'UPDATE "reservation" SET "status" = {status}, "ended_at" = {now} '
    'WHERE "id" = {hold_id} AND "status" = {was} RETURNING "id"'
)
_END_HOLD = (
    'UPDATE "reservation" SET "status" = {status}, "ended_at" = {now}, "slot" = NULL '
    'WHERE "id" = {hold_id} AND "status" = {was} RETURNING "id"'
)
_NEW_HOLD = (
    'INSERT INTO "reservation" ("tier_id", "fan_id", "status", "slot", "from_waitlist", '
    '"expires_at", "created_at", "ended_at", "price_minor", "pop_up_id") VALUES ({tier_id}, '
    "{fan_id}, {status}, {slot}, {from_waitlist}, {expires_at}, {created_at}, {ended_at}, "
    '{price_minor}, {pop_up_id}) RETURNING "id"'
)
_ACTIVE_SLOTS = (
    'SELECT "slot" FROM "reservation" WHERE "tier_id" = {tier_id} AND "fan_id" = {fan_id} '
    'AND "status" IN ({active})'
)


@dataclass(frozen=True, slots=True)
class TierState:
    """A tier and its drop as a Buy tap needs them, read in one statement."""

    tier_id: int
    name: str
    kind: TierKind
    content: str
    perk_id: int | None
    available: int
    per_fan_limit: int
    price: Money  # the public price
    member_price: Money | None  # what a member pays instead, if the creator set one
    members_only: bool  # the tier is
    drop_id: int
    title: str
    status: DropStatus
    opens_at: datetime | None
    closes_at: datetime | None
    early_access_tier: FanTier | None
    early_access_minutes: int
    hold_minutes: int
    drop_members_only: bool


@dataclass(frozen=True, slots=True)
class StillHeld:
    """A fan's hold they have yet to pay."""

    id: int
    expires_at: datetime
    price: Money


@dataclass(frozen=True, slots=True)
class ForFan:
    """A tier as one fan's Buy tap finds it: their hold still to pay on it, if any, and
    their members' early access in minutes (None: they are no member)."""

    tier: TierState
    held: StillHeld | None
    member_minutes: int | None

    @property
    def member(self) -> bool:
        return self.member_minutes is not None


async def tier_for_fan(tier_id: int, fan_id: int, now: datetime) -> ForFan | None:
    """The tier as a Buy tap needs it, and what the fan has on it and as a member."""
    rows = await sql.rows(_TIER_FOR_FAN, fan_id=fan_id, now=now, tier_id=tier_id)
    if not rows:
        return None
    row = rows[0]
    tier, member = tier_from_row(row), minutes_from(row["member_minutes"])
    if row["held_id"] is None:
        return ForFan(tier, None, member)
    until = Reservation._meta.fields_map["expires_at"].to_python_value(row["held_until"])
    return ForFan(
        tier, StillHeld(int(row["held_id"]), until, held_price(row["held_minor"], tier)), member
    )


async def tier_state(tier_id: int) -> TierState | None:
    rows = await sql.rows(_TIER_STATE, tier_id=tier_id)
    return tier_from_row(rows[0]) if rows else None


def tier_from_row(row: dict[str, Any]) -> TierState:
    """A TierState from a row that selected TIER_COLUMNS."""
    return TierState(
        tier_id=row["tier_id"],
        name=row["name"],
        kind=TierKind(row["kind"]),
        content=row["content"],
        perk_id=row["perk_id"],
        available=row["available"],
        per_fan_limit=row["per_fan_limit"],
        price=Money(row["price_minor"], row["currency"]),
        member_price=(
            None
            if row["member_price_minor"] is None
            else Money(row["member_price_minor"], row["currency"])
        ),
        members_only=bool(row["members_only"]),
        drop_id=row["drop_id"],
        title=row["title"],
        status=DropStatus(row["status"]),
        opens_at=sql.moment(row["opens_at"]),
        closes_at=sql.moment(row["closes_at"]),
        early_access_tier=FanTier(row["early_access_tier"]) if row["early_access_tier"] else None,
        early_access_minutes=row["early_access_minutes"],
        hold_minutes=row["hold_minutes"],
        drop_members_only=bool(row["drop_members_only"]),
    )


def held_price(minor: object, tier: TierState) -> Money:
    """The price a hold was placed at (its `price_minor`, read as HELD_PRICE), in the tier's
    currency; a hold placed before holds kept their price was placed at the tier's."""
    return tier.price if minor is None else Money(int(str(minor)), tier.price.currency)


async def take_unit(tier_id: int) -> int | None:
    """Decrement `available` by one if a unit is free and the drop still sells; returns the
    units left after it, or None when there was none to take."""
    rows = await sql.rows(_TAKE_UNIT, tier_id=tier_id, sellable=_SELLABLE)
    return int(rows[0]["available"]) if rows else None


async def return_unit(tier_id: int) -> None:
    await DropTier.filter(id=tier_id).update(available=F("available") + 1)


async def end_hold(
    hold_id: int, status: HoldStatus, now: datetime, *, was: HoldStatus = HoldStatus.HELD
) -> bool:
    """Move a hold from `was` to `status`; False if it was no longer `was`."""
    # a paid hold keeps its per-fan slot; any other end frees it for a later hold
    statement = _PAY_HOLD if status == HoldStatus.PAID else _END_HOLD
    ended = await sql.rows(statement, status=status.value, now=now, hold_id=hold_id, was=was.value)
    return bool(ended)


async def sell_out(drop_id: int, title: str, now: datetime) -> list[DomainEvent]:
    """Once the last unit of every tier is taken, an open drop is sold out (said once)."""
    if not await all_taken(drop_id):
        return []
    changed = await Drop.filter(id=drop_id, status=DropStatus.OPEN).update(
        status=DropStatus.SOLD_OUT
    )
    return [DropSoldOut(now, drop_id, title)] if changed else []


async def give_back(tier: TierState, now: datetime) -> list[DomainEvent]:
    """Put one unit back on sale; a sold-out drop opens again (said once)."""
    await return_unit(tier.tier_id)
    reopened = await Drop.filter(id=tier.drop_id, status=DropStatus.SOLD_OUT).update(
        status=DropStatus.OPEN
    )
    return [DropReopened(now, tier.drop_id, tier.title)] if reopened else []


async def free_slot(tier: TierState, fan_id: int) -> int | None:
    """The lowest per-fan slot this fan has not used on this tier, or None at the limit."""
    rows = await sql.rows(_ACTIVE_SLOTS, tier_id=tier.tier_id, fan_id=fan_id, active=_ACTIVE)
    used = [row["slot"] for row in rows]
    taken = {slot for slot in used if slot is not None}
    if len(used) >= tier.per_fan_limit:
        return None
    return min(set(range(1, tier.per_fan_limit + 1)) - taken)


@dataclass(frozen=True, slots=True)
class NewHold:
    id: int
    fan_id: int
    status: HoldStatus
    from_waitlist: bool
    expires_at: datetime
    price: Money


async def new_hold(
    tier_id: int,
    fan_id: int,
    slot: int | None,
    now: datetime,
    hold_minutes: int,
    price: Money,
    *,
    status: HoldStatus = HoldStatus.HELD,
    from_waitlist: bool = False,
    pop_up_id: int | None = None,
) -> NewHold:
    """A hold on a unit already taken, at the price this fan pays for it (`members.price_for`),
    to pick up at `pop_up_id` if the fan chose a pop-up (core/popups/places.py)."""
    expires_at = now + timedelta(minutes=hold_minutes)
    ended_at = now if status == HoldStatus.PAID else None
    [row] = await sql.rows(
        _NEW_HOLD, tier_id=tier_id, fan_id=fan_id, status=status.value, slot=slot,
        from_waitlist=from_waitlist, expires_at=expires_at, created_at=now, ended_at=ended_at,
        price_minor=price.minor, pop_up_id=pop_up_id,
    )  # fmt: skip
    return NewHold(int(row["id"]), fan_id, status, from_waitlist, expires_at, price)


async def all_taken(drop_id: int) -> bool:
    return not await DropTier.filter(drop_id=drop_id, available__gt=0).exists()
