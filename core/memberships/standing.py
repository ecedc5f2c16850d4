"""What a fan sees of their own memberships (`/membership` on either platform): each plan they
hold, its state, until when it grants access and when it renews, in plain values for an
adapter to word."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.kinds import MemberState
from core.models import Membership


@dataclass(frozen=True, slots=True)
class FanMembership:
    """`renews_at`: the next payment, if one is coming (not when cancelling at the period's
    end); `portal_url`: where the fan manages it at the provider (None: nowhere to link)."""

    membership_id: int
    plan: str
    provider: str
    state: str
    access_until: datetime | None
    renews_at: datetime | None
    trial_end: datetime | None
    grace_until: datetime | None
    portal_url: str | None = None


RENEWING = (MemberState.TRIALING, MemberState.ACTIVE, MemberState.PAST_DUE)


async def memberships_of(fan_id: int) -> list[tuple[FanMembership, Membership]]:
    """The fan's unended memberships, oldest first, each with its row."""
    rows = await Membership.filter(fan_id=fan_id, live__isnull=False).order_by("id")
    held = []
    for row in rows:
        await row.fetch_related("plan")
        state = MemberState(row.state)
        held.append(
            (
                FanMembership(
                    membership_id=row.id,
                    plan=row.plan.name,
                    provider=str(row.provider),
                    state=state.value,
                    access_until=row.access_until,
                    renews_at=row.current_period_end if state in RENEWING else None,
                    trial_end=row.trial_end if state == MemberState.TRIALING else None,
                    grace_until=row.grace_until,
                ),
                row,
            )
        )
    return held
