"""Each fan's membership of a plan, as the latest snapshot of its subscription left it.

`Memberships.record` is what a provider's adapter calls with every snapshot it is given (a
webhook, a renewal payment, a read of the subscription): the row takes the snapshot's state
only if the snapshot is newer than the one it holds (core/memberships/states.py `is_newer`),
by one conditional update, so a repeated, late or reordered report changes nothing. The
database keeps a fan to one unended membership of a plan (the unique fan, plan, live)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from core.bus import EventBus
from core.errors import InvalidInput, InvalidState, NotFound
from core.events import MembershipChanged
from core.kinds import MemberState, SubscriptionProvider
from core.memberships.states import Snapshot, check_grace, member_state, snapshot_rank
from core.models import Fan, Membership, MembershipPlan
from core.models.memberships import LIVE
from core.ports import Clock


@dataclass(frozen=True, slots=True)
class MembershipView:
    id: int
    fan_id: int
    plan_id: int
    provider: str
    subscription_ref: str
    state: str
    current_period_end: datetime | None
    cancel_at_period_end: bool
    trial_end: datetime | None
    grace_until: datetime | None
    access_until: datetime | None
    started_at: datetime
    ended_at: datetime | None
    cancel_reason: str

    def grants_access(self, at: datetime) -> bool:
        return self.access_until is not None and at < self.access_until


class Memberships:
    def __init__(self, clock: Clock, bus: EventBus, grace: timedelta) -> None:
        self.clock = clock
        self.bus = bus
        self.grace = check_grace(grace)

    async def record(
        self,
        fan_id: int,
        plan_id: int,
        provider: SubscriptionProvider | str,
        subscription_ref: str,
        snapshot: Snapshot,
    ) -> MembershipView:
        """The membership behind the provider's subscription, as `snapshot` leaves it if it
        is the newest seen. The first snapshot of a subscription makes the membership of
        `fan_id` and `plan_id`; later ones keep its fan, and move it to `plan_id` if that
        changed (the member switched plans in the provider's portal: one membership, not a
        second). A fan who already has an unended membership of the plan is refused."""
        try:
            provider = SubscriptionProvider(provider)
        except ValueError:
            raise InvalidInput(f"{provider!r} does not run subscriptions") from None
        ref = subscription_ref.strip() if isinstance(subscription_ref, str) else ""
        if not 1 <= len(ref) <= 255:
            raise InvalidInput("a subscription reference is 1 to 255 characters")
        snapshot = snapshot.checked()
        columns = _columns(snapshot, self.grace)
        for _ in range(2):  # a second round when the same subscription was made meanwhile
            found = await Membership.get_or_none(provider=provider, subscription_ref=ref)
            if found is not None:
                moved = {"plan_id": plan_id} if plan_id != found.plan_id else {}
                await self._update(found, snapshot, columns | moved)
                return await membership_view(found.id)
            await _check_fan_and_plan(fan_id, plan_id)
            try:
                async with self.bus.transaction() as changes:
                    made = await Membership.create(
                        fan_id=fan_id,
                        plan_id=plan_id,
                        provider=provider,
                        subscription_ref=ref,
                        **columns,
                    )
                    changes.add(_changed(self.clock.now(), made, None))
            except IntegrityError:
                if await Membership.exists(provider=provider, subscription_ref=ref):
                    continue
                raise await _member_already(fan_id, plan_id) from None
            return await membership_view(made.id)
        raise InvalidState(f"subscription {ref!r} could not be recorded; try again")

    async def _update(self, found: Membership, snapshot: Snapshot, columns: dict[str, Any]) -> None:
        newer = Q(snapshot_at__lt=snapshot.as_of) | Q(
            snapshot_at=snapshot.as_of, snapshot_rank__lt=columns["snapshot_rank"]
        )
        try:
            async with self.bus.transaction() as changes:
                if await Membership.filter(Q(id=found.id) & newer).update(**columns):
                    now = await Membership.get(id=found.id)
                    was = (found.state, found.access_until, found.plan_id)
                    if (now.state, now.access_until, now.plan_id) != was:
                        moved = found.plan_id if now.plan_id != found.plan_id else None
                        changes.add(_changed(self.clock.now(), now, found.state, moved))
        except IntegrityError:  # it would open again beside another unended membership
            plan_id = columns.get("plan_id", found.plan_id)
            raise await _member_already(found.fan_id, plan_id) from None


async def subscriptions_known(provider: SubscriptionProvider | str) -> int:
    """How many of the provider's subscriptions we hold, ended ones too."""
    return await Membership.filter(provider=SubscriptionProvider(provider)).count()


async def membership_view(membership_id: int) -> MembershipView:
    found = await Membership.get_or_none(id=membership_id)
    if found is None:
        raise NotFound(f"there is no membership #{membership_id}")
    return MembershipView(
        id=found.id,
        fan_id=found.fan_id,
        plan_id=found.plan_id,
        provider=SubscriptionProvider(found.provider).value,
        subscription_ref=found.subscription_ref,
        state=MemberState(found.state).value,
        current_period_end=found.current_period_end,
        cancel_at_period_end=found.cancel_at_period_end,
        trial_end=found.trial_end,
        grace_until=found.grace_until,
        access_until=found.access_until,
        started_at=found.started_at,
        ended_at=found.ended_at,
        cancel_reason=found.cancel_reason,
    )


def _changed(
    at: datetime, row: Membership, was: str | None, moved_from_plan: int | None = None
) -> MembershipChanged:
    return MembershipChanged(
        at,
        membership_id=row.id,
        fan_id=row.fan_id,
        plan_id=row.plan_id,
        state=MemberState(row.state).value,
        was=None if was is None else MemberState(was).value,
        access_until=row.access_until,
        moved_from_plan=moved_from_plan,
    )


def membership_columns(snapshot: Snapshot, grace: timedelta) -> dict[str, Any]:
    """The membership's columns as `snapshot` sets them, for a writer in bulk (the demo
    data's loader) that records no changes."""
    return _columns(snapshot.checked(), check_grace(grace))


def _columns(snapshot: Snapshot, grace: timedelta) -> dict[str, Any]:
    standing = member_state(snapshot, grace)
    return {
        "state": standing.state,
        "live": None if standing.state == MemberState.ENDED else LIVE,
        "current_period_end": snapshot.current_period_end,
        "cancel_at_period_end": snapshot.cancel_at_period_end,
        "trial_end": snapshot.trial_end,
        "grace_until": standing.grace_until,
        "access_until": standing.access_until,
        "started_at": snapshot.started_at,
        "ended_at": standing.ended_at,
        "cancel_reason": snapshot.cancel_reason[:64],
        "snapshot_at": snapshot.as_of,
        "snapshot_rank": snapshot_rank(snapshot),
    }


async def _check_fan_and_plan(fan_id: int, plan_id: int) -> None:
    if not await Fan.exists(id=fan_id):
        raise NotFound(f"there is no fan #{fan_id}")
    if not await MembershipPlan.exists(id=plan_id):
        raise NotFound(f"there is no plan #{plan_id}")


async def _member_already(fan_id: int, plan_id: int) -> InvalidState:
    plan = await MembershipPlan.get_or_none(id=plan_id)
    name = plan.name if plan else f"#{plan_id}"
    return InvalidState(f"fan #{fan_id} is already a member of the plan {name!r}")
