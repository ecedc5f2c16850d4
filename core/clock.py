"""The real clock; tests and the sandbox inject their own through the `Clock` port."""

from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)
