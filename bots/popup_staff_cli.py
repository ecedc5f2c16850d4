"""`dropcast popup staff-link|pickups`: what the staff at a pop-up work with."""

from __future__ import annotations

from bots.popup_cli import app

__all__ = ["app"]
