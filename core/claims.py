"""One policy for every queue of work: provider events (core/inbox.py), notices
(core/notices.py) and campaign DMs (core/campaigns/outbox.py).

A row is claimed by a conditional update that names the claiming process (`claimed_by`, a
worker of core/workers.py), so two processes never hold it at once. The claim stands while
its process says it is alive; once that process has been silent for `SILENT`, or its claim
has outlived its lease (a process that never said), another process takes the work over
within seconds. Work whose handling failed is due again after a backoff that doubles up to
an hour, and ends `failed` with its reason after `MAX_ATTEMPTS`: a long outage delays, a
failure that cannot pass is shown. A message a stopped process was sending may have gone
out, so it ends `failed` as `INTERRUPTED` rather than risk reaching a fan twice.
README: How delivery works.
"""

from __future__ import annotations

import re
from datetime import timedelta

from core.errors import DropcastError

MAX_ATTEMPTS = 12  # the last one about 3 hours after the first
LAST_RETRY = timedelta(hours=1)
ALIVE_EVERY = timedelta(seconds=2)  # how often a process says it is alive
SILENT = timedelta(seconds=10)  # a worker not heard from for this long is gone
INTERRUPTED = "interrupted: its process stopped, so it may have arrived"

_TOKEN = re.compile(r"\d{6,}:[A-Za-z0-9_-]{30,}")  # a bot token inside an error's text


def backoff(attempts: int, first: timedelta) -> timedelta:
    """How long after its `attempts`-th failed try a piece of work is tried again (work that
    is never given up, like a provider event, keeps an hour between tries)."""
    doublings = min(max(attempts - 1, 0), 20)  # past 20 it would only overflow
    return min(first * (1 << doublings), LAST_RETRY)


def gives_up(error: BaseException, attempts: int) -> bool:
    """Whether a failure is final: the core refused (trying again changes nothing), or the
    attempts ran out."""
    return isinstance(error, DropcastError) or attempts >= MAX_ATTEMPTS


def reason(error: BaseException, room: int = 255) -> str:
    """What failed, to keep beside the work: the error's kind and words, never a token, in
    the `room` its column has."""
    return _TOKEN.sub("***", f"{type(error).__name__}: {error}")[:room]


def abandoned(lease: str) -> str:
    """SQL that is true of a claim no live process holds: its `lease` column is at or before
    `{lease_ends}`, or its claimer was last seen before `{silent_since}` (core/sql.py)."""
    return (
        f'({lease} <= {{lease_ends}} OR "claimed_by" IN '
        '(SELECT "id" FROM "worker" WHERE "seen_at" < {silent_since}))'
    )
