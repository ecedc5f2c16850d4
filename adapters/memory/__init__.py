"""In-process implementations of every core port, for tests and the offline sandbox.

They record what the core asked of them, so a test asserts on what a fan or a community
would have seen.
"""

from adapters.memory.clock import ManualClock
from adapters.memory.community import (
    MemoryAnnouncer,
    MemoryDesk,
    MemoryMessenger,
    MemoryPerks,
)
from adapters.memory.payments import MemoryPayLinks, MemoryRefunds

__all__ = [
    "ManualClock",
    "MemoryAnnouncer",
    "MemoryDesk",
    "MemoryMessenger",
    "MemoryPayLinks",
    "MemoryPerks",
    "MemoryRefunds",
]
