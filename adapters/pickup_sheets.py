"""A pop-up's pickup list as files staff keep: CSV for a phone or a spreadsheet, PDF (fpdf2)
to print and tick off by hand. Both work without a connection once saved."""

from __future__ import annotations

import csv
import io

from adapters.scan_answers import status_text
from core.popups.pickup_list import PickupList
from core.popups.places import window

COLUMNS = ("Pass", "Fan", "Tier", "Quantity", "Status")
WIDTHS = (18, 62, 50, 18, 34)  # millimetres; then the tick box
TICK = 10


def rows(pickups: PickupList) -> list[tuple[str, ...]]:
    return [(f"#{p.id}", p.fan, p.tier, str(p.quantity), status_text(p)) for p in pickups.passes]


def csv_text(pickups: PickupList) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows([_inert(cell) for cell in row] for row in rows(pickups))
    return buffer.getvalue()


def pdf(pickups: PickupList, *, compress: bool = True) -> bytes:
    """An A4 list with a tick box per pass. Its font is the PDF's own Helvetica, which has
    no glyphs beyond Latin-1: other letters print as "?" (the pass number still finds it).
    fpdf2 is imported here, not with the module: it would add a fifth of a second to every
    `dropcast` command's start."""
    from fpdf import FPDF

    document = FPDF(format="A4")
    document.set_compression(compress)
    document.set_title(f"Pickups at {_latin1(pickups.place)}")
    document.add_page()
    document.set_font("Helvetica", "B", 14)
    heading = f"Pickups at {pickups.place}"
    document.cell(0, 8, _latin1(heading), new_x="LMARGIN", new_y="NEXT")
    document.set_font("Helvetica", "", 10)
    when = window(pickups.starts_at, pickups.ends_at, pickups.zone)
    document.cell(0, 6, _latin1(when), new_x="LMARGIN", new_y="NEXT")
    document.ln(2)
    document.set_font("Helvetica", "B", 10)
    for title, width in zip((*COLUMNS, "Done"), (*WIDTHS, TICK), strict=True):
        document.cell(width, 7, title, border="B")
    document.ln()
    document.set_font("Helvetica", "", 10)
    for row in rows(pickups):
        for text, width in zip(row, WIDTHS, strict=True):
            document.cell(width, 8, _latin1(text)[:40])
        document.cell(TICK, 8, "", border=1, new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def _inert(cell: str) -> str:
    """A fan's name a spreadsheet would run as a formula ("=HYPERLINK(…)"), kept as text."""
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@") else cell
