"""Discord's markdown, for what the shared wording leaves to each platform."""

from __future__ import annotations


def strike(text: str) -> str:
    """Struck through, as Discord shows `~~text~~`."""
    return f"~~{text}~~"
