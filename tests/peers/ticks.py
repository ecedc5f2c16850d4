"""A stopped clock for a peer's deadlines and rate counters, moved by hand, so tests of
the platforms' seconds never wait."""

from __future__ import annotations


class Ticks:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value
