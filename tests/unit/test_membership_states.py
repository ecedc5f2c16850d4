"""The member's state a subscription snapshot implies (core/memberships/states.py): each
status and flag of the table, where access ends, and that only the latest snapshot counts,
however the reports of it are repeated or reordered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from functools import reduce

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidInput
from core.kinds import MemberState
from core.memberships.states import (
    MAX_GRACE,
    Pause,
    ProviderStatus,
    Snapshot,
    Standing,
    is_newer,
    latest,
    member_state,
    order_key,
    snapshot_rank,
)

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
START = T0 - timedelta(days=3)  # the current period began three days ago
END = START + timedelta(days=30)
GRACE = timedelta(days=3)
PINNED_RANK = 1636890129060294670  # snap("active")'s, in any process, on any machine


def snap(status: str, **changes: object) -> Snapshot:
    values: dict[str, object] = dict(
        as_of=T0, started_at=START - timedelta(days=60), current_period_start=START,
        current_period_end=END,
    )  # fmt: skip
    return Snapshot(status, **(values | changes))  # type: ignore[arg-type]


def state(snapshot: Snapshot, grace: timedelta = GRACE) -> Standing:
    return member_state(snapshot, grace)


@pytest.mark.parametrize(
    ("snapshot", "expected", "access_until"),
    [
        (snap("trialing", trial_end=END), MemberState.TRIALING, END + GRACE),
        (snap("trialing"), MemberState.TRIALING, END + GRACE),  # no trial_end: the period's
        (snap("active"), MemberState.ACTIVE, END + GRACE),
        (snap("active", cancel_at_period_end=True), MemberState.CANCELLED_AT_PERIOD_END, END),
        (snap("trialing", cancel_at_period_end=True), MemberState.CANCELLED_AT_PERIOD_END, END),
        (snap("past_due"), MemberState.PAST_DUE, START + GRACE),
        (snap("unpaid"), MemberState.LAPSED, None),
        (snap("incomplete"), MemberState.LAPSED, None),
        (snap("paused"), MemberState.PAUSED, None),
        (snap("active", pause=Pause()), MemberState.PAUSED, None),
        (snap("past_due", pause=Pause(END)), MemberState.PAUSED, None),
        (snap("canceled"), MemberState.ENDED, None),
        (snap("incomplete_expired"), MemberState.ENDED, None),
        (snap("canceled", cancel_at_period_end=True), MemberState.ENDED, None),
    ],
    ids=lambda value: value.status if isinstance(value, Snapshot) else None,
)
def test_each_status_means_a_state_and_an_end_of_access(snapshot, expected, access_until):
    standing = state(snapshot)
    assert standing.state == expected
    assert standing.access_until == access_until


def test_every_provider_status_has_a_state():
    for status in ProviderStatus:
        assert state(snap(status.value)).state in MemberState


def test_access_holds_up_to_its_end_and_not_at_it():
    active = state(snap("active"))
    assert active.grants_access(START)
    assert active.grants_access(END)  # a renewal reported late: the grace period
    assert active.grants_access(END + GRACE - timedelta(microseconds=1))
    assert not active.grants_access(END + GRACE)
    cancelling = state(snap("active", cancel_at_period_end=True))
    assert cancelling.grants_access(END - timedelta(seconds=1))
    assert not cancelling.grants_access(END)  # nothing renews: no grace
    for status in ("unpaid", "incomplete", "paused", "canceled", "incomplete_expired"):
        assert not state(snap(status)).grants_access(START)


def test_a_past_due_member_keeps_access_until_the_grace_ends():
    past_due = state(snap("past_due"))
    assert past_due.grace_until == START + GRACE
    assert past_due.grants_access(START + GRACE - timedelta(seconds=1))
    assert not past_due.grants_access(START + GRACE)
    # no grace: the failed renewal ends access when the unpaid period began
    assert not state(snap("past_due"), timedelta(0)).grants_access(START)
    # cancelling too: never past the end of the period
    day = START + timedelta(days=1)
    assert state(snap("past_due", current_period_end=day)).grace_until == START + GRACE
    cancelling = snap("past_due", current_period_end=day, cancel_at_period_end=True)
    assert state(cancelling).grace_until == day


def test_only_a_past_due_member_has_a_grace_until():
    for status in ProviderStatus:
        grace_until = state(snap(status.value)).grace_until
        assert (grace_until is not None) == (status == ProviderStatus.PAST_DUE)


def test_an_ended_membership_says_when_it_ended():
    assert state(snap("canceled")).ended_at == T0  # the report's time, if the provider's is missing
    ended = T0 - timedelta(hours=2)
    assert state(snap("canceled", ended_at=ended)).ended_at == ended
    assert state(snap("active")).ended_at is None


def test_the_state_does_not_depend_on_the_time_zone_times_are_written_in():
    east = timezone(timedelta(hours=5))
    written = snap(
        "past_due",
        as_of=T0.astimezone(east),
        current_period_start=START.astimezone(east),
        current_period_end=END.astimezone(east),
    )
    assert state(written) == state(snap("past_due"))
    assert snapshot_rank(written) == snapshot_rank(snap("past_due"))


@pytest.mark.parametrize(
    ("snapshot", "message"),
    [
        (snap("on_hold"), "subscription status 'on_hold' is not one of trialing, active"),
        (snap("active", current_period_end=None), "needs its current period's start and end"),
        (snap("past_due", current_period_start=None), "needs its current period's start and end"),
        (snap("active", as_of=datetime(2026, 3, 1)), "as_of needs a time zone"),  # noqa: DTZ001
        (snap("trialing", trial_end=datetime(2026, 3, 1)), "trial_end needs a time zone"),  # noqa: DTZ001
        (snap("canceled", cancel_reason="x" * 65), "at most 64 characters"),
    ],
)
def test_a_snapshot_that_cannot_be_read_is_refused(snapshot, message):
    with pytest.raises(InvalidInput, match=message):
        state(snapshot)


def test_a_grace_period_out_of_range_is_refused():
    for grace in (timedelta(seconds=-1), MAX_GRACE + timedelta(seconds=1)):
        with pytest.raises(InvalidInput, match="grace period is 0 to 30 days"):
            state(snap("active"), grace)


def test_a_later_snapshot_wins_and_at_the_same_moment_an_ended_one_does():
    active, renewed = snap("active"), snap("active", as_of=T0 + timedelta(days=30))
    assert is_newer(renewed, active)
    assert not is_newer(active, renewed)
    assert not is_newer(active, active)  # the same report again changes nothing
    assert is_newer(active, None)
    canceled = snap("canceled")  # reported in the same second as the active one
    assert is_newer(canceled, active)
    assert not is_newer(active, canceled)


# any snapshots of one subscription: the status, times around the period and the flags
moments = st.integers(min_value=-40, max_value=40).map(lambda days: T0 + timedelta(hours=days))
snapshots = st.builds(
    Snapshot,
    status=st.sampled_from([status.value for status in ProviderStatus]),
    as_of=st.integers(min_value=0, max_value=6).map(lambda n: T0 + timedelta(minutes=n)),
    started_at=st.just(START - timedelta(days=60)),
    current_period_start=st.just(START),
    current_period_end=moments,
    cancel_at_period_end=st.booleans(),
    trial_end=st.none() | moments,
    pause=st.none() | st.builds(Pause, st.none() | moments),
    ended_at=st.none() | moments,
    cancel_reason=st.sampled_from(["", "cancellation_requested", "payment_failed"]),
)
graces = st.integers(min_value=0, max_value=MAX_GRACE.days).map(lambda d: timedelta(days=d))


def applied(reports: list[Snapshot]) -> Snapshot:
    """What a membership keeps after the reports arrive in this order: each replaces the one
    kept only if it is newer (members.py does this with one conditional update)."""
    return reduce(lambda kept, new: new if is_newer(new, kept) else kept, reports[1:], reports[0])


@given(st.lists(snapshots, min_size=1, max_size=8), graces, st.randoms(use_true_random=False))
def test_the_state_is_the_latest_snapshots_whatever_the_order_and_repeats(reports, grace, rnd):
    expected = member_state(latest(reports), grace)
    delivered = reports + rnd.sample(reports, k=rnd.randint(0, len(reports)))  # repeats
    rnd.shuffle(delivered)
    assert applied(delivered) == latest(reports)
    assert member_state(applied(delivered), grace) == expected


@given(st.lists(snapshots, min_size=2, max_size=6), graces)
def test_adding_an_older_snapshot_never_changes_the_state(reports, grace):
    newest = latest(reports)
    older = [r for r in reports if order_key(r) < order_key(newest)]
    for report in older:
        assert member_state(applied([newest, report]), grace) == member_state(newest, grace)


@given(snapshots, snapshots)
def test_of_two_different_snapshots_exactly_one_is_newer(a, b):
    if a.checked() == b.checked():
        assert not is_newer(a, b)
        assert not is_newer(b, a)
    else:
        assert is_newer(a, b) != is_newer(b, a)


@given(snapshots, graces, moments)
def test_access_is_only_ever_granted_by_the_states_that_grant_it(snapshot, grace, at):
    standing = member_state(snapshot, grace)
    if standing.state in (MemberState.LAPSED, MemberState.PAUSED, MemberState.ENDED):
        assert not standing.grants_access(at)
    if standing.state != MemberState.PAST_DUE:
        assert standing.grace_until is None
    assert 0 <= snapshot_rank(snapshot) < 2**63


def test_the_rank_is_the_same_in_every_process():
    """Stored with the membership, it must not depend on Python's per-process hash seed."""
    assert snapshot_rank(snap("active")) == PINNED_RANK
    assert snapshot_rank(snap("canceled")) >= 2**62  # an ended one ranks above the rest
    ranks = {snapshot_rank(snap("active", cancel_reason=str(n))) for n in range(50)}
    assert len(ranks) == 50
