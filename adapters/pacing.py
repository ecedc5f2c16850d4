"""One way to keep under a platform's messages-a-second limit, for every sender of ours."""

from __future__ import annotations

import asyncio
import collections
import time

from core.pace import take_turns

BURST_SHARE = 0.01  # of a second's allowance, sent at once to make up for timers firing late
STEADY_SHARE = 0.98  # of the rest, leaving room for messages that reach the platform late


def leaky_bucket(per_second: float) -> tuple[float, float]:
    """(capacity, period) for an aiolimiter `AsyncLimiter(capacity, period)` that never
    lets more than `per_second` through in any one second: a small burst, and the rest of
    the allowance evenly spaced (a bucket as big as the whole allowance would let a second's
    messages out at once, and a limit counted over any sliding second refuse some)."""
    burst = max(1, int(per_second * BURST_SHARE))
    steady = max(per_second - burst, per_second / 2) * STEADY_SHARE
    return burst, burst / steady


class Turns:
    """One process's sends in a token's shared schedule (core/pace.py). Sends that ask while
    a booking is on its way to the database are booked together in the next one: at a
    campaign's pace, a statement per message cost as much as the message itself."""

    def __init__(self, key: str, interval: float) -> None:
        self.key = key
        self.interval = interval
        self._asking: dict[float, list[asyncio.Future[float | None]]] = {}  # by lead
        self._booking: dict[float, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def turn(self, lead: float) -> float | None:
        """Seconds until this send's turn, or None while the schedule is booked more than
        `lead` seconds ahead."""
        asking = self._asking.setdefault(lead, [])
        asking.append(answer := asyncio.get_running_loop().create_future())
        if len(asking) == 1:  # the first to ask since the last booking books for all
            task = asyncio.create_task(self._book(lead))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        turn: float | None = await answer
        return turn

    async def _book(self, lead: float) -> None:
        async with self._booking.setdefault(lead, asyncio.Lock()):  # one at a time per lead
            asking = self._asking.pop(lead, [])
            try:
                waits = await take_turns(self.key, self.interval, time.time(), lead, len(asking))
            except Exception as error:  # each send fails as it would have alone
                for answer in asking:
                    if not answer.done():
                        answer.set_exception(error)
                return
            for n, answer in enumerate(asking):
                if not answer.done():  # a send cancelled meanwhile leaves its turn unused
                    answer.set_result(None if waits is None else waits[n])


class PerSecond:
    """A service's "N requests in any second", counted as the service counts them: in real
    time, over a sliding second. The peers refuse past it; a sender of ours waits. Turns
    booked one interval apart are not enough on their own: timers that fire late send the
    late turns together with the ones on time (bench/renewals.py saw Stripe's 429 so)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._admitted: collections.deque[float] = collections.deque()  # the last second's

    def wait(self) -> float:
        """0 if one more request fits (and it is counted), else the seconds until one does."""
        now = time.monotonic()
        while self._admitted and self._admitted[0] <= now - 1.0:
            self._admitted.popleft()
        if len(self._admitted) >= self.limit:
            return self._admitted[0] + 1.0 - now
        self._admitted.append(now)
        return 0.0

    async def admitted(self) -> None:
        """Wait until one more request fits in the last second, and count it."""
        wait = self.wait()
        while wait:  # the time until the oldest leaves the second: no event to wait on
            await asyncio.sleep(wait)
            wait = self.wait()
