"""Who may read the dashboard: the creator, with the dashboard password or with a one-time
link an admin asks for in a bot or the CLI. A link works once, within 15 minutes, and
becomes a 12-hour session; logging out ends the session. Tokens are 256-bit random values
stored only as digests."""

from __future__ import annotations

import hmac
from datetime import timedelta

from core.models.dashboard import DashboardKey
from core.ports import Clock
from core.tokens import digest, new_token

LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)


class DashboardAccess:
    def __init__(self, clock: Clock, base_url: str, password: str | None) -> None:
        self.clock = clock
        self.base_url = base_url.rstrip("/")
        self.password = password

    async def new_link(self) -> str:
        """A one-time address that logs its first visitor in."""
        token = await self._issue("link", LINK_LIFETIME)
        return f"{self.base_url}/dashboard/enter/{token}"

    async def enter(self, token: str) -> str | None:
        """Spends a one-time link: a session token, or None if the link is unknown, used or
        expired (taken atomically, so two visitors cannot both use one link)."""
        now = self.clock.now()
        spent = await DashboardKey.filter(
            digest=digest(token), kind="link", used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        return await self._issue("session", SESSION_LIFETIME) if spent else None

    async def log_in(self, password: str) -> str | None:
        if self.password is None or not hmac.compare_digest(
            password.encode(), self.password.encode()
        ):
            return None
        return await self._issue("session", SESSION_LIFETIME)

    async def allows(self, session: str | None) -> bool:
        if not session:
            return False
        return await DashboardKey.exists(
            digest=digest(session),
            kind="session",
            used_at__isnull=True,
            expires_at__gt=self.clock.now(),
        )

    async def log_out(self, session: str) -> None:
        await DashboardKey.filter(digest=digest(session), kind="session").update(
            used_at=self.clock.now()
        )

    async def _issue(self, kind: str, lifetime: timedelta) -> str:
        token = new_token()
        now = self.clock.now()
        await DashboardKey.create(
            digest=digest(token), kind=kind, created_at=now, expires_at=now + lifetime
        )
        return token
