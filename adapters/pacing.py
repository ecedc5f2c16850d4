"""One way to keep under a platform's messages-a-second limit, for every sender of ours."""

from __future__ import annotations

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
