"""structlog to stderr: readable on a terminal, JSON lines under a process manager.

Every configured secret is masked wherever it would appear in a log line (invariant 7):
each `SecretStr` setting and the password inside DATABASE_URL, in any field, including
the traceback `format_exc_info` has written out (an exception's text may quote a URL such
as Telegram's `…/bot<TOKEN>/getMe`), as written and percent-encoded as in a URL.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any
from urllib.parse import quote

import structlog
from pydantic import SecretStr
from tortoise.backends.base.config_generator import expand_db_url

from config import Settings

MASK = "[secret]"


def secrets_of(settings: Settings) -> list[str]:
    """Every secret setting, found by its type so a new one is masked too, and the database
    password, which lives inside a plain DATABASE_URL."""
    values = [getattr(settings, name) for name in type(settings).model_fields]
    secrets = [value.get_secret_value() for value in values if isinstance(value, SecretStr)]
    password = expand_db_url(settings.database_url)["credentials"].get("password")
    if password:
        secrets.append(str(password))
    return secrets


def redactor(secrets: Iterable[str]) -> structlog.types.Processor:
    """Masks each secret of four characters or more (a shorter one would mask ordinary
    words), as given and as a URL carries it."""
    long_enough = [secret for secret in secrets if len(secret) >= 4]
    hidden = sorted(
        {*long_enough, *(quote(secret, safe="") for secret in long_enough)}, key=len, reverse=True
    )

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
