"""One platform's ports, built because its token is set (bots/bootstrap.py).

Each platform's wiring lives in its own module, imported only when its token is set: a
command that talks to no platform (`dropcast drop list`) does not load discord.py or
python-telegram-bot at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from core.kinds import Platform
from core.ports import Announcer, CreatorDesk, FanMessenger, Perks, Refunds, StarSubscriptions


@dataclass(frozen=True, slots=True)
class Connected:
    platform: Platform
    announcer: Announcer
    messenger: FanMessenger
    desk: CreatorDesk
    perks: Perks
    refunds: Mapping[str, Refunds]  # the payments this platform takes itself (Stars)
    close: Callable[[], Awaitable[None]]
    star_subscriptions: StarSubscriptions | None = None  # Telegram's own subscriptions
