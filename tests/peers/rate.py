"""A service's "N requests in any second", as the peers keep it: in real time, since every
process of one bot or account counts against the same limit."""

from __future__ import annotations

import collections
import time


class PerSecond:
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
