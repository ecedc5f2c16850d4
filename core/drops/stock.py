"""The only code that moves stock: conditional updates, never read-then-write.

Each function must run inside a transaction whose first statement is the write, so SQLite
takes its write lock up front (busy timeout applies) and PostgreSQL locks the tier row.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.expressions import F, Subquery

from core.models import Drop, DropStatus, DropTier, HoldStatus, Reservation

SELLABLE = (DropStatus.SCHEDULED, DropStatus.OPEN, DropStatus.SOLD_OUT)
ACTIVE_HOLDS = (HoldStatus.HELD, HoldStatus.PAID)


async def take_unit(tier_id: int) -> bool:
    """Decrement `available` by one if a unit is free and the drop still sells."""
    sellable_drops = Subquery(Drop.filter(status__in=SELLABLE).values("id"))
    taken = await DropTier.filter(id=tier_id, available__gte=1, drop_id__in=sellable_drops).update(
        available=F("available") - 1
    )
    return taken == 1


async def return_unit(tier_id: int) -> None:
    await DropTier.filter(id=tier_id).update(available=F("available") + 1)


async def end_hold(hold_id: int, status: HoldStatus, now: datetime) -> bool:
    """Move a held hold to a final state; False if it was no longer held."""
    changes: dict[str, object] = {"status": status, "ended_at": now}
    if status != HoldStatus.PAID:
        changes["slot"] = None  # frees the fan's per-fan slot for a later hold
    ended = await Reservation.filter(id=hold_id, status=HoldStatus.HELD).update(**changes)
    return ended == 1


async def free_slot(tier: DropTier, fan_id: int) -> int | None:
    """The lowest per-fan slot this fan has not used on this tier, or None at the limit."""
    used = await Reservation.filter(
        tier_id=tier.id, fan_id=fan_id, status__in=ACTIVE_HOLDS
    ).values_list("slot", flat=True)
    active = len(used)
    taken = {slot for slot in used if slot is not None}
    if active >= tier.per_fan_limit:
        return None
    return min(set(range(1, tier.per_fan_limit + 1)) - taken)


async def new_hold(
    tier: DropTier,
    fan_id: int,
    slot: int | None,
    now: datetime,
    hold_minutes: int,
    *,
    status: HoldStatus = HoldStatus.HELD,
    from_waitlist: bool = False,
) -> Reservation:
    return await Reservation.create(
        tier_id=tier.id,
        fan_id=fan_id,
        slot=slot,
        status=status,
        from_waitlist=from_waitlist,
        created_at=now,
        expires_at=now + timedelta(minutes=hold_minutes),
        ended_at=now if status == HoldStatus.PAID else None,
    )


async def all_taken(drop_id: int) -> bool:
    return not await DropTier.filter(drop_id=drop_id, available__gt=0).exists()
