"""The member's state a subscription implies, computed from the provider's latest snapshot of
the subscription alone.

A provider reports a subscription by events that may come twice, late or out of order. No
state here is derived from the order events came in: each event's snapshot (the subscription
as the provider saw it at `as_of`) is compared with the one recorded, the later one is kept
(`is_newer`), and the state is recomputed from it (`member_state`). Repeating or reordering
events therefore cannot change the result.

Statuses are named as Stripe names them; a Telegram Stars subscription is reported in the same
words by its adapter. What each means for the member, with the grace period `grace`:

=====================  ====================  =============================================
status (+ flags)       state                 access until
=====================  ====================  =============================================
trialing               trialing              trial_end (else period end) + grace
active                 active                current_period_end + grace
trialing/active,       cancelled_at_         current_period_end, no grace: nothing renews
cancel_at_period_end   period_end
past_due               past_due              current_period_start + grace (the unpaid
                                             period's start), never past the period end if
                                             it is cancelling: grace_until
paused, or a pause of  paused                none, until a snapshot says payments resumed
collection
unpaid, incomplete     lapsed                none: retries gave up, or the first payment
                                             has not gone through
canceled,              ended                 none, for good
incomplete_expired
=====================  ====================  =============================================

Access is `at < access_until`. The grace after a renewing period is there because a renewal
is reported after the period ends: a late report does not cut a paying member off.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from core.errors import InvalidInput
from core.kinds import MemberState

MAX_GRACE = timedelta(days=30)
# the most a rank may be: a BIGINT column (core/models/memberships.py) holds it
_TERMINAL_BIT = 1 << 62


class ProviderStatus(StrEnum):
    """A subscription's status in Stripe's words."""

    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    UNPAID = "unpaid"
    CANCELED = "canceled"
    INCOMPLETE = "incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    PAUSED = "paused"


TERMINAL = frozenset({ProviderStatus.CANCELED, ProviderStatus.INCOMPLETE_EXPIRED})
RENEWING = frozenset({ProviderStatus.TRIALING, ProviderStatus.ACTIVE, ProviderStatus.PAST_DUE})


@dataclass(frozen=True, slots=True)
class Pause:
    """Collection paused (Stripe's `pause_collection`), perhaps until `resumes_at`."""

    resumes_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A subscription as its provider reported it at `as_of` (an event's creation time, or
    when the subscription was read)."""

    status: ProviderStatus | str
    as_of: datetime
    started_at: datetime
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None
    cancel_at_period_end: bool = False
    trial_end: datetime | None = None
    pause: Pause | None = None
    ended_at: datetime | None = None
    cancel_reason: str = ""  # the provider's, e.g. Stripe's cancellation_details.reason

    def checked(self) -> Snapshot:
        """The snapshot with its status as a `ProviderStatus` and its times in UTC; refused
        when it cannot be read."""
        try:
            status = ProviderStatus(self.status)
        except ValueError:
            choices = ", ".join(s.value for s in ProviderStatus)
            raise InvalidInput(
                f"subscription status {self.status!r} is not one of {choices}"
            ) from None
        if status in RENEWING and (
            self.current_period_start is None or self.current_period_end is None
        ):
            raise InvalidInput(f"a {status} subscription needs its current period's start and end")
        if not isinstance(self.cancel_reason, str) or len(self.cancel_reason) > 64:
            raise InvalidInput("a cancellation reason is text of at most 64 characters")
        pause = None
        if self.pause is not None:
            pause = Pause(_utc(self.pause.resumes_at, "pause resumes_at"))
        return Snapshot(
            status=status,
            as_of=_required(self.as_of, "as_of"),
            started_at=_required(self.started_at, "started_at"),
            current_period_start=_utc(self.current_period_start, "current_period_start"),
            current_period_end=_utc(self.current_period_end, "current_period_end"),
            cancel_at_period_end=bool(self.cancel_at_period_end),
            trial_end=_utc(self.trial_end, "trial_end"),
            pause=pause,
            ended_at=_utc(self.ended_at, "ended_at"),
            cancel_reason=self.cancel_reason.strip(),
        )


@dataclass(frozen=True, slots=True)
class Standing:
    """What a snapshot means for the member: a state, and until when it grants access."""

    state: MemberState
    access_until: datetime | None  # None: no access
    grace_until: datetime | None = None  # a past-due member's access ends then
    ended_at: datetime | None = None

    def grants_access(self, at: datetime) -> bool:
        return self.access_until is not None and at < self.access_until


def check_grace(grace: timedelta) -> timedelta:
    if not isinstance(grace, timedelta) or not timedelta(0) <= grace <= MAX_GRACE:
        raise InvalidInput(f"the grace period is 0 to {MAX_GRACE.days} days, not {grace!r}")
    return grace


def member_state(snapshot: Snapshot, grace: timedelta) -> Standing:
    """The member's state and access, from the snapshot alone (module docstring)."""
    s = snapshot.checked()
    grace = check_grace(grace)
    status = s.status
    if status in TERMINAL:
        return Standing(MemberState.ENDED, None, ended_at=s.ended_at or s.as_of)
    if status in (ProviderStatus.UNPAID, ProviderStatus.INCOMPLETE):
        return Standing(MemberState.LAPSED, None)
    if status == ProviderStatus.PAUSED or s.pause is not None:
        return Standing(MemberState.PAUSED, None)
    start, end = s.current_period_start, s.current_period_end
    if start is None or end is None:  # pragma: no cover - `checked` refused it
        raise InvalidInput(f"a {status} subscription needs its current period")
    if status == ProviderStatus.PAST_DUE:
        grace_until = min(start + grace, end) if s.cancel_at_period_end else start + grace
        return Standing(MemberState.PAST_DUE, grace_until, grace_until=grace_until)
    if s.cancel_at_period_end:
        return Standing(MemberState.CANCELLED_AT_PERIOD_END, end)
    if status == ProviderStatus.TRIALING:
        return Standing(MemberState.TRIALING, (s.trial_end or end) + grace)
    return Standing(MemberState.ACTIVE, end + grace)


def snapshot_rank(snapshot: Snapshot) -> int:
    """Orders snapshots reported at the same `as_of`: a terminal one first (a subscription
    once ended stays ended), then a fixed hash of everything in it, so that of two different
    snapshots one is always the later, whichever came first. Fits a signed 64-bit column."""
    s = snapshot.checked()
    text = repr(
        (
            ProviderStatus(s.status).value,
            *(_micros(moment) for moment in (s.as_of, s.started_at, s.current_period_start)),
            *(_micros(moment) for moment in (s.current_period_end, s.trial_end, s.ended_at)),
            s.cancel_at_period_end,
            None if s.pause is None else _micros(s.pause.resumes_at),
            s.cancel_reason,
        )
    )
    digest = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
    return (_TERMINAL_BIT if s.status in TERMINAL else 0) | (digest % _TERMINAL_BIT)


def order_key(snapshot: Snapshot) -> tuple[datetime, int]:
    """Snapshots sort by this, the latest last."""
    return (_required(snapshot.as_of, "as_of"), snapshot_rank(snapshot))


def is_newer(candidate: Snapshot, than: Snapshot | None) -> bool:
    return than is None or order_key(candidate) > order_key(than)


def latest(snapshots: list[Snapshot]) -> Snapshot:
    """The snapshot whose state stands, whatever order the snapshots came in."""
    if not snapshots:
        raise InvalidInput("no snapshot of the subscription")
    return max(snapshots, key=order_key)


def _utc(moment: datetime | None, label: str) -> datetime | None:
    if moment is None:
        return None
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise InvalidInput(f"{label} needs a time zone, got {moment!r}")
    return moment.astimezone(UTC)


def _required(moment: datetime | None, label: str) -> datetime:
    checked = _utc(moment, label)
    if checked is None:
        raise InvalidInput(f"a subscription snapshot needs {label}")
    return checked


def _micros(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
