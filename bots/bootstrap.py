"""The one place that builds Dropcast from settings; tests build the same thing with overrides.

Ports a test or the sandbox does not override get the adapter the settings call for; until a
platform's adapter is configured, that is the in-process one from `adapters.memory`.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.memory import MemoryAnnouncer, MemoryMessenger, MemoryPayLinks, MemoryRefunds
from config import Settings
from core.app import Core, build_core
from core.clock import SystemClock
from core.ports import Announcer, Clock, FanMessenger, PayLinks, Refunds


@dataclass(frozen=True, slots=True)
class App:
    settings: Settings
    core: Core
    announcer: Announcer
    messenger: FanMessenger
    pay_links: PayLinks
    refunds: Refunds


def bootstrap(
    settings: Settings,
    *,
    clock: Clock | None = None,
    announcer: Announcer | None = None,
    messenger: FanMessenger | None = None,
    pay_links: PayLinks | None = None,
    refunds: Refunds | None = None,
) -> App:
    announcer = announcer or MemoryAnnouncer()
    messenger = messenger or MemoryMessenger()
    pay_links = pay_links or MemoryPayLinks()
    refunds = refunds or MemoryRefunds()
    core = build_core(
        clock=clock or SystemClock(),
        announcer=announcer,
        messenger=messenger,
        pay_links=pay_links,
        refunds=refunds,
    )
    return App(settings, core, announcer, messenger, pay_links, refunds)
