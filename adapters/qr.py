"""QR codes of short links (segno), to show on air or on screen: a PNG or SVG for the web,
block characters for the terminal."""

from __future__ import annotations

import io

import segno

SCALE = 10  # pixels per module: legible on a phone filming a screen


def image(url: str, kind: str) -> bytes:
    """`kind` is "png" or "svg"."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind=kind, scale=SCALE, border=2)
    return buffer.getvalue()


def terminal(url: str) -> str:
    buffer = io.StringIO()
    segno.make(url, error="m").terminal(out=buffer, compact=True, border=2)
    return buffer.getvalue()
