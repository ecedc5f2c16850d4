"""Durable side effects: what a committed change owes fans and communities is delivered even
when a platform is down or the process that made the change dies.

Each subscriber's side effect of a domain event (a receipt, a post edit, a waitlist offer's
pay link, a perk change) is a `notice` row written in the transaction that made the change.
Right after the commit the process that made it claims and delivers its own notices, so a
fan hears at once; a notice that fails is retried with backoff and ends `failed` with its
reason after core/claims.py's `MAX_ATTEMPTS`. Every claim is a conditional update, so a notice
is delivered by one process at a time, and notices sharing a key (one post, one fan's perks)
in order. A claim whose process stopped saying it is alive is taken over within seconds, as
core/claims.py says for every queue. README: How delivery works.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import structlog
from tortoise.functions import Count

from core import claims, sql
from core import events as domain
from core.events import DomainEvent
from core.kinds import NoticeStatus
from core.models import Community, Notice, Worker
from core.money import Money
from core.ports import Clock

log = structlog.get_logger(__name__)

FIRST_RETRY = timedelta(seconds=5)
HANDOFF = timedelta(seconds=5)  # left to the process that wrote it for this long
LEASE = timedelta(minutes=2)  # a claim by a process that never said it was alive
BATCH = 20
KEEP_SENT = timedelta(days=7)

Deliver = Callable[..., Awaitable[None]]

_PENDING = "'queued', 'sending'"
_RETURNING = 'RETURNING "id", "subscriber", "kind", "payload", "target", "key", "attempts"'
_IN_TURN = (
    '(n."key" IS NULL OR NOT EXISTS (SELECT 1 FROM "notice" e WHERE e."key" = n."key" '
    f'AND e."id" < n."id" AND e."status" IN ({_PENDING})))'
)


def _claim(which: str) -> str:
    """Take the queued notices among `which` (a subquery of their ids) for this process."""
    return (
        'UPDATE "notice" SET "status" = \'sending\', "claimed_by" = {worker}, "due_at" = {due}, '
        f'"attempts" = "attempts" + 1 WHERE "status" = \'queued\' AND "id" IN ({which}) '
        + _RETURNING
    )


_CLAIM_OWN = _claim(f'SELECT n."id" FROM "notice" n WHERE n."id" IN ({{ids}}) AND {_IN_TURN}')
# notices whose turn came when this process delivered the one before (same key), if they
# have not failed before: a failed one waits for its retry time
_CLAIM_NEXT = _claim(
    'SELECT n."id" FROM "notice" n WHERE n."key" IN ({keys}) AND n."status" = \'queued\' '
    f'AND n."attempts" = 0 AND {_IN_TURN}'
)
_CLAIM_DUE = _claim(
    'SELECT n."id" FROM "notice" n WHERE n."status" = \'queued\' AND n."due_at" <= {now} '
    f'AND {_IN_TURN} ORDER BY n."id" LIMIT {{batch}}{{SKIP_LOCKED}}'
)


# claims of a process that stopped: its message may have gone out, so it is not sent again
# (failed, saying so); anything else is done again, which changes nothing twice
_DEAD_CLAIM = "\"status\" = 'sending' AND " + claims.abandoned('"due_at"')
_INTERRUPTED = (
    'UPDATE "notice" SET "status" = \'failed\', "claimed_by" = NULL, "done_at" = {now}, '
    f'"reason" = {{reason}} WHERE {_DEAD_CLAIM} AND "subscriber" IN ({{names}})'
)
_TAKE_OVER = (
    'UPDATE "notice" SET "status" = \'queued\', "claimed_by" = NULL, "due_at" = {now} '
    f"WHERE {_DEAD_CLAIM}"
)
_DONE = (
    'UPDATE "notice" SET "status" = \'sent\', "done_at" = {now}, "reason" = NULL '
    'WHERE "id" = {id} AND "status" = \'sending\' AND "claimed_by" = {worker}'
)
_AGAIN = (
    'UPDATE "notice" SET "status" = {status}, "due_at" = {due}, "reason" = {reason}, '
    '"claimed_by" = NULL, "done_at" = {done} WHERE "id" = {id} AND "status" = \'sending\' '
    'AND "claimed_by" = {worker}'
)
_NEW = ("queued", 0)  # status and attempts of a new notice
# rows of (subscriber, kind, payload, target, key, status, attempts, due_at, created_at)
_INSERT = (
    'INSERT INTO "notice" ("subscriber", "kind", "payload", "target", "key", "status", '
    '"attempts", "due_at", "created_at") VALUES {rows} RETURNING "id", "subscriber"'
)


@dataclass(frozen=True, slots=True)
class Subscription:
    """A side effect a kind of event owes. `when` leaves out events that owe nothing (most
    holds are not waitlist offers); a `per_community` one is owed to each community, and
    its handler is called with the community's id; `key` orders notices that touch one
    thing (a post, a fan's perks). One that `follows` is delivered in the background, so the
    fan whose tap caused it (the last unit's buyer) is answered first. One `at_most_once`
    (a direct message) that a killed process was sending ends `failed` as interrupted
    rather than risk reaching the fan twice; a failure the platform reported is retried."""

    event: type[DomainEvent]
    name: str
    handler: Deliver
    when: Callable[[Any], bool] | None = None
    per_community: bool = False
    key: Callable[[Any, int | None], str] | None = None
    follows: bool = False  # delivered after the caller has its answer, not before
    at_most_once: bool = False  # a message: never sent again after a process died sending it


@dataclass(frozen=True, slots=True)
class Owed:
    """Notices just written: those delivered before the caller is answered, and those that
    follow."""

    now: list[int]
    following: list[int]


@dataclass(frozen=True, slots=True)
class NoticeLine:
    """A notice as the creator sees it in `dropcast notices`."""

    id: int
    subscriber: str
    kind: str
    status: str
    attempts: int
    reason: str | None
    created_at: datetime
    due_at: datetime


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: int
    subscriber: str
    kind: str
    payload: str
    target: int | None
    key: str | None
    attempts: int


class Notices:
    def __init__(self, clock: Clock, worker: str) -> None:
        self.clock = clock
        self.worker = worker
        self._subscriptions: dict[type[DomainEvent], list[Subscription]] = defaultdict(list)
        self._by_name: dict[str, Subscription] = {}
        self._later: list[int] = []
        self._following: asyncio.Task[None] | None = None
        self._holding_back = 0
        self._go_on = asyncio.Event()
        self._go_on.set()

    def subscribe(self, subscription: Subscription) -> None:
        self._subscriptions[subscription.event].append(subscription)
        self._by_name[subscription.name] = subscription

    @property
    def subscriptions(self) -> list[Subscription]:
        return list(self._by_name.values())

    async def record(self, events: Sequence[DomainEvent]) -> Owed:
        """Write what `events` owe, in the caller's transaction; the new notices' ids."""
        now = self.clock.now()
        rows: list[tuple[object, ...]] = []
        communities: list[int] | None = None
        for event in events:
            owed = [
                subscription
                for subscription in self._subscriptions.get(type(event), ())
                if subscription.when is None or subscription.when(event)
            ]
            payload = encode(event) if owed else ""
            for subscription in owed:
                targets: Iterable[int | None] = [None]
                if subscription.per_community:
                    if communities is None:
                        communities = await _communities()
                    targets = communities
                for target in targets:
                    key = subscription.key(event, target) if subscription.key else None
                    kind = type(event).__name__
                    due = now + HANDOFF
                    rows.append((subscription.name, kind, payload, target, key, *_NEW, due, now))
        if not rows:
            return Owed([], [])
        inserted = await sql.rows(_INSERT, rows=rows)
        written = Owed([], [])
        for row in inserted:
            follows = self._by_name[row["subscriber"]].follows
            (written.following if follows else written.now).append(int(row["id"]))
        return written

    async def deliver(self, owed: Owed, *, all_follow: bool = False) -> int:
        """Deliver notices this process just wrote, in order; one whose turn has not come
        (an earlier one for the same post is still out) is left to `drain`. Those that
        follow (every one, with `all_follow`) are delivered in the background. Returns how
        many were delivered before returning."""
        now, later = ([], owed.now + owed.following) if all_follow else (owed.now, owed.following)
        if later:
            self._later += later
            if self._following is None:
                self._following = asyncio.create_task(self._deliver_later())
        if not now:
            return 0
        return await self._in_turn(await self._claim(_CLAIM_OWN, ids=now))

    async def _deliver_later(self) -> None:
        """Those that follow, in the background, a few claimed at a time: in a burst of
        payments they take turns with the settling rather than crowding it out, and none
        waits here claimed (a claim left too long would be taken over)."""
        try:
            while self._later:
                await self._go_on.wait()
                ids, self._later = sorted(self._later[:BATCH]), self._later[BATCH:]
                await self._in_turn(await self._claim(_CLAIM_OWN, ids=ids))
        finally:
            self._following = None

    @contextlib.contextmanager
    def held_back(self) -> Iterator[None]:
        """While a burst is being settled, what follows waits (it is not lost: another
        process delivers it after `HANDOFF` if this one dies), so the burst takes the
        process's time and its followers come after."""
        self._holding_back += 1
        self._go_on.clear()
        try:
            yield
        finally:
            self._holding_back -= 1
            if not self._holding_back:
                self._go_on.set()

    async def settled(self) -> None:
        """Wait for what is being delivered in the background (before a process stops)."""
        while self._following is not None:
            await asyncio.gather(self._following, return_exceptions=True)

    async def _in_turn(self, claimed: list[_Claimed]) -> int:
        """Deliver these in order, then those whose turn each one's delivery brought."""
        delivered = 0
        while claimed:
            keys: set[str] = set()
            for notice in sorted(claimed, key=lambda notice: notice.id):
                if await self._deliver(notice):
                    delivered += 1
                    keys |= {notice.key} if notice.key else set()
            claimed = await self._claim(_CLAIM_NEXT, keys=sorted(keys)) if keys else []
        return delivered

    async def _claim(self, statement: str, **which: Sequence[object]) -> list[_Claimed]:
        due = self.clock.now() + LEASE
        rows = await sql.rows(statement, worker=self.worker, due=due, **which)
        return [_Claimed(**row) for row in rows]

    async def drain(self, batch: int = BATCH) -> int:
        """Claim and deliver due notices (retries, those a stopped process left, those
        whose turn came); returns how many were claimed."""
        now = self.clock.now()
        once = [sub.name for sub in self._by_name.values() if sub.at_most_once]
        silent_since = now - claims.SILENT
        if once:
            await sql.rows(
                _INTERRUPTED, now=now, reason=claims.INTERRUPTED, lease_ends=now,
                silent_since=silent_since, names=once,
            )  # fmt: skip
        await sql.rows(_TAKE_OVER, now=now, lease_ends=now, silent_since=silent_since)
        claimed = await sql.rows(
            _CLAIM_DUE, worker=self.worker, due=now + LEASE, now=now, batch=batch
        )
        await asyncio.gather(*(self._deliver(_Claimed(**row)) for row in claimed))
        return len(claimed)

    async def counts(self) -> dict[str, int]:
        """How many notices are in each status."""
        rows = (
            await Notice.all().group_by("status").annotate(n=Count("id")).values_list("status", "n")
        )
        return {str(status): int(n) for status, n in rows}

    async def lines(self, status: NoticeStatus, limit: int = 20) -> list[NoticeLine]:
        """Notices in `status`, most recent first."""
        found = await Notice.filter(status=status).order_by("-id").limit(limit)
        return [
            NoticeLine(n.id, n.subscriber, n.kind, str(n.status), n.attempts, n.reason,
                       n.created_at, n.due_at)
            for n in found
        ]  # fmt: skip

    async def retry(self, ids: Sequence[int] | None = None) -> list[int]:
        """Give failed notices (these, or every one) their attempts again and deliver them
        now; returns those that were failed and are delivered or queued again."""
        failed = Notice.filter(status=NoticeStatus.FAILED)
        found: list[int] = await (
            failed.filter(id__in=ids) if ids is not None else failed
        ).values_list("id", flat=True)  # type: ignore[assignment]
        await Notice.filter(id__in=found, status=NoticeStatus.FAILED).update(
            status=NoticeStatus.QUEUED, attempts=0, due_at=self.clock.now() + HANDOFF,
            done_at=None,
        )  # fmt: skip
        await self.deliver(Owed(found, []))
        return found

    async def prune(self) -> int:
        """Forget delivered notices after a week (countdown edits alone make one a minute per
        post) and processes gone for a day; failed ones stay until retried."""
        now = self.clock.now()
        await Worker.filter(seen_at__lt=now - timedelta(days=1)).delete()
        return await Notice.filter(status=NoticeStatus.SENT, done_at__lt=now - KEEP_SENT).delete()

    async def _deliver(self, notice: _Claimed) -> bool:
        subscription = self._by_name.get(notice.subscriber)
        try:
            if subscription is None:
                raise LookupError(f"nothing in this process delivers {notice.subscriber}")
            event = decode(notice.kind, notice.payload)
            if subscription.per_community:
                await subscription.handler(event, notice.target)
            else:
                await subscription.handler(event)
        except Exception as error:
            await self._failed(notice, error)
            return False
        await sql.rows(_DONE, now=self.clock.now(), id=notice.id, worker=self.worker)
        return True

    async def _failed(self, notice: _Claimed, error: Exception) -> None:
        """Tried again later, unless the error says it never can be or attempts ran out."""
        now = self.clock.now()
        reason = claims.reason(error)
        final = claims.gives_up(error, notice.attempts)
        wait = claims.backoff(notice.attempts, FIRST_RETRY)
        status, due, done = ("failed", now, now) if final else ("queued", now + wait, None)
        await sql.rows(
            _AGAIN, status=status, due=due, reason=reason, done=done, id=notice.id,
            worker=self.worker,
        )  # fmt: skip
        log.warning(
            "notice_failed" if final else "notice_will_retry",
            notice=notice.id,
            subscriber=notice.subscriber,
            attempts=notice.attempts,
            error=type(error).__name__,
        )


def perks_key(fan_id: int) -> str:
    """The key that puts one fan's perk changes in order."""
    return f"perks:{fan_id}"


async def carry_over(merged: int, kept: int) -> None:
    """Notices still owed to a fan merged into another (core/account_linking.py) go to the
    kept fan: a receipt waiting out an outage reaches the account that is left, and the
    merged fan's perk changes queue behind the kept fan's. In the merge's transaction."""
    owed = await Notice.filter(
        status__in=(NoticeStatus.QUEUED, NoticeStatus.SENDING),
        payload__contains=f'"fan_id": {merged}',
    )
    for notice in owed:
        values = json.loads(notice.payload)
        if values.get("fan_id") != merged:  # another id that starts with the same digits
            continue
        key = perks_key(kept) if notice.key == perks_key(merged) else notice.key
        payload = json.dumps({**values, "fan_id": kept})
        await Notice.filter(id=notice.id).update(payload=payload, key=key)


async def _communities() -> list[int]:
    return list(await Community.all().order_by("id").values_list("id", flat=True))  # type: ignore[arg-type]


@cache
def _event_types() -> dict[str, type[DomainEvent]]:
    return {
        name: kind
        for name, kind in vars(domain).items()
        if isinstance(kind, type) and issubclass(kind, DomainEvent)
    }


def encode(event: DomainEvent) -> str:
    """An event as JSON: times and money kept exact."""
    return json.dumps({field.name: _plain(getattr(event, field.name)) for field in fields(event)})


def decode(kind: str, payload: str) -> DomainEvent:
    values: dict[str, Any] = {name: _value(value) for name, value in json.loads(payload).items()}
    return _event_types()[kind](**values)


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return {"at": value.isoformat()}
    if isinstance(value, Money):
        return {"minor": value.minor, "currency": value.currency}
    return value


def _value(value: object) -> object:
    if isinstance(value, dict) and "at" in value:
        return datetime.fromisoformat(value["at"])
    if isinstance(value, dict) and "minor" in value:
        return Money(int(value["minor"]), str(value["currency"]))
    return value
