"""What a scan of a pickup pass answers, in words, wherever it was scanned (the scan page,
the pass page, either bot), with times in the creator's zone (`CREATOR_TIMEZONE`)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.popups.pass_views import PassStatus, PassView
from core.popups.places import window
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


def scan_text(result: ScanResult, zone: str) -> str:
    found = result.pass_
    match result.outcome:
        case ScanOutcome.VALID if found:
            return f"Valid — hand over {found.tier} to {found.fan}"
        case ScanOutcome.COLLECTED if found and found.collected_at:
            by = f" by {found.collected_by}" if found.collected_by else ""
            return f"Already collected at {clock_time(found.collected_at, zone)}{by}"
        case ScanOutcome.ELSEWHERE:
            return f"Not for this pop-up (it is for {result.place})"
        case ScanOutcome.NOT_NOW if found:
            return (
                f"Not now: this pass is for {found.place}, {window(found.starts_at, found.ends_at)}"
            )
    return REFUSALS.get(result.outcome, UNKNOWN)


def status_text(found: PassView, zone: str) -> str:
    if found.status == PassStatus.COLLECTED and found.collected_at:
        return f"Collected at {clock_time(found.collected_at, zone)}"
    return STATUSES[found.status]


def clock_time(moment: datetime, zone: str) -> str:
    """14:02 in the creator's zone; a time in UTC says so."""
    local = f"{moment.astimezone(ZoneInfo(zone)):%H:%M}"
    return f"{local} UTC" if zone == "UTC" else local


def until(moment: datetime, zone: str) -> str:
    """A day and time in the creator's zone: when a staff link stops working."""
    return f"{moment.astimezone(ZoneInfo(zone)):%a %d %b} {clock_time(moment, zone)}"
