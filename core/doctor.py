"""One line of `dropcast doctor`'s checklist: pure data, so each platform's adapter can say
what it found without knowing how the checklist is shown (bots/doctor_cli.py)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    BREAKS_A_DROP = "breaks a drop"
    WARNING = "warning"


@dataclass(frozen=True)
class Check:
    """What was checked, whether it holds, and when it does not, the exact fix. `skipped`
    marks a platform that is simply not configured: listed, never a failure."""

    name: str
    ok: bool
    detail: str = ""
    fix: str = ""
    severity: Severity = Severity.BREAKS_A_DROP
    skipped: bool = False

    @property
    def breaks_a_drop(self) -> bool:
        return not self.ok and self.severity == Severity.BREAKS_A_DROP


def passed(name: str, detail: str = "") -> Check:
    return Check(name, True, detail)


def failed(name: str, detail: str, fix: str, severity: Severity = Severity.BREAKS_A_DROP) -> Check:
    return Check(name, False, detail, fix, severity)


def not_configured(name: str, setting: str) -> Check:
    return Check(name, True, f"not configured ({setting} is not set)", skipped=True)
