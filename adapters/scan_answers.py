"""What a scan of a pickup pass answers, in words, wherever it was scanned (the scan page,
the pass page, either bot), with times on the pop-up's clock."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.popups.pass_views import PassStatus, PassView
from core.popups.places import clock_time, window
from core.popups.scanning import ScanOutcome, ScanResult

UNKNOWN = "Unknown code"
REFUSALS = {
    ScanOutcome.REFUNDED: "Refunded: do not hand over",
    ScanOutcome.SHIPPED: "Shipped to the fan instead: do not hand over",
    ScanOutcome.UNPAID: "Payment under review: do not hand over",
    ScanOutcome.UNKNOWN: UNKNOWN,
}
STATUSES = {
    PassStatus.WAITING: "Waiting for pickup",
    PassStatus.REFUNDED: "Refunded",
    PassStatus.SHIPPED: "Shipped to you instead",
    PassStatus.UNPAID: "Payment under review",
}


def scan_text(result: ScanResult) -> str:
    found = result.pass_
    match result.outcome:
        case ScanOutcome.VALID if found:
            return f"Valid — hand over {found.tier} to {found.fan}"
        case ScanOutcome.COLLECTED if found and found.collected_at:
            by = f" by {found.collected_by}" if found.collected_by else ""
            return f"Already collected at {clock_time(found.collected_at, found.zone)}{by}"
        case ScanOutcome.ELSEWHERE:
            return f"Not for this pop-up (it is for {result.place})"
        case ScanOutcome.NOT_NOW if found:
            when = window(found.starts_at, found.ends_at, found.zone)
            return f"Not now: this pass is for {found.place}, {when}"
    return REFUSALS.get(result.outcome, UNKNOWN)


def status_text(found: PassView) -> str:
    if found.status == PassStatus.COLLECTED and found.collected_at:
        return f"Collected at {clock_time(found.collected_at, found.zone)}"
    return STATUSES[found.status]


def until(moment: datetime, zone: str) -> str:
    """A day and time in the creator's zone: when a staff link stops working."""
    return f"{moment.astimezone(ZoneInfo(zone)):%a %d %b} {clock_time(moment, zone)}"
