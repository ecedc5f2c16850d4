"""structlog to stderr: readable on a terminal, JSON lines under a process manager.

Every configured secret is masked wherever it would appear in a log line (invariant 7).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

import structlog

from config import Settings

MASK = "[secret]"


def secrets_of(settings: Settings) -> list[str]:
    values = [
        settings.discord_token,
        settings.telegram_token,
        settings.stripe_secret_key,
        settings.stripe_webhook_secret,
    ]
    return [value.get_secret_value() for value in values if value is not None]


def redactor(secrets: Iterable[str]) -> structlog.types.Processor:
    hidden = [secret for secret in secrets if len(secret) >= 4]

    def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        for key, value in event.items():
            text = value if isinstance(value, str) else None
            if text is None and not isinstance(value, int | float | bool | type(None)):
                text = str(value)
            if text is not None and any(secret in text for secret in hidden):
                for secret in hidden:
                    text = text.replace(secret, MASK)
                event[key] = text
        return event

    return redact


def configure_logging(settings: Settings, *, level: int = logging.INFO) -> None:
    renderer: structlog.types.Processor = (
        structlog.dev.ConsoleRenderer()
        if sys.stderr.isatty()
        else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redactor(secrets_of(settings)),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
