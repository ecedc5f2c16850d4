"""The whole selling state of the database as plain values, to prove a refusal changed nothing."""

from __future__ import annotations

from typing import Any

from core.models import Drop, DropTier, Fan, Link, Order, Reservation, WaitlistEntry

MODELS = (Drop, DropTier, Reservation, WaitlistEntry, Order, Link, Fan)


async def database_state() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table a drop, hold or payment can touch, in id order."""
    return {model.__name__: await model.all().order_by("id").values() for model in MODELS}
