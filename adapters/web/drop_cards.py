"""A drop's generated preview image (`/d/{code}.png`), for link previews when the creator
gave none: its title and its "from" price on a plain card, at the size social apps show
(1200 x 630). Nothing on it changes as the drop sells, so it may be kept for minutes."""

from __future__ import annotations

import io
import textwrap

from PIL import Image, ImageDraw, ImageFont

SIZE = (1200, 630)
BACKGROUND = (29, 35, 48)
TEXT = (255, 255, 255)
ACCENT = (147, 197, 253)


def card(title: str, price: str) -> bytes:
    image = Image.new("RGB", SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    big, small = ImageFont.load_default(72), ImageFont.load_default(44)
    y = 90
    for line in textwrap.wrap(title, 26)[:3]:
        draw.text((80, y), line, font=big, fill=TEXT)
        y += 90
    draw.text((80, 460), price, font=small, fill=ACCENT)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
