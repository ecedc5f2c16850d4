"""Stable A/B assignment: the same fan always lands in the same variant of one test, and
tests are independent of each other."""

from __future__ import annotations

import hashlib


def bucket(test: str, fan_id: int, variants: int) -> int:
    digest = hashlib.blake2b(f"{test}:{fan_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % variants
