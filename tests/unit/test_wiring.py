"""Invariant 9: production wiring never uses a stand-in. A port without its setting gets an
adapter that refuses naming the setting; `adapters.memory` is used only when passed in."""

from __future__ import annotations

from typing import Any

import pytest

from bots.bootstrap import bootstrap
from config import load_settings
from core.money import Money
from core.ports import NotConfigured


def reachable(root: object) -> list[object]:
    """Every object of ours the application holds, however deep (lists and dicts too)."""
    seen: set[int] = set()
    found: list[object] = []
    todo: list[Any] = [root]
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, dict):
            todo += list(item.values())
        elif isinstance(item, list | tuple | set):
            todo += list(item)
        elif type(item).__module__.split(".")[0] in ("adapters", "bots", "core"):
            found.append(item)
            slots = [getattr(item, name, None) for name in getattr(type(item), "__slots__", ())]
            todo += list(getattr(item, "__dict__", {}).values()) + slots
    return found


async def test_production_without_tokens_or_keys_wires_no_memory_adapter(db):
    app = bootstrap(load_settings(database_url=db))
    wired = reachable(app)
    assert any(type(port).__name__ == "Payments" for port in wired)  # the walk reached the core
    stand_ins = [
        type(port).__name__ for port in wired if "adapters.memory" in type(port).__module__
    ]
    assert stand_ins == []


async def test_each_unconfigured_port_names_its_setting(db):
    app = bootstrap(load_settings(database_url=db))
    with pytest.raises(NotConfigured, match="STRIPE_SECRET_KEY is not set"):
        await app.refunds["stripe"].refund("pi_1", Money(2500, "EUR"), "refunded")
    with pytest.raises(NotConfigured, match="TELEGRAM_TOKEN or DISCORD_TOKEN is not set"):
        await app.messenger.send(1, None)  # type: ignore[arg-type]
    with pytest.raises(NotConfigured, match="STRIPE_SECRET_KEY is not set"):
        await app.core.joining.billing.portal_link("sub_1")
