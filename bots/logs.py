"""structlog to stderr: readable on a terminal, JSON lines under a process manager.

Every configured secret is masked wherever it would appear in a log line (invariant 7):
each `SecretStr` setting and the password inside DATABASE_URL, in any field, including
the traceback `format_exc_info` has written out (an exception's text may quote a URL such
as Telegram's `…/bot<TOKEN>/getMe`), as written and percent-encoded as in a URL.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any, TextIO
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


def masking(secrets: Iterable[str]) -> Callable[[str], str]:
    """Masks each secret of four characters or more (a shorter one would mask ordinary
    words), as given and as a URL carries it."""
    long_enough = [secret for secret in secrets if len(secret) >= 4]
    hidden = sorted(
        {*long_enough, *(quote(secret, safe="") for secret in long_enough)}, key=len, reverse=True
    )

    def mask(text: str) -> str:
        for secret in hidden:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    return mask


def redactor(secrets: Iterable[str]) -> structlog.types.Processor:
    """A structlog processor masking every field."""
    mask = masking(secrets)

    def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        for key, value in event.items():
            if not isinstance(value, int | float | bool | type(None)):
                text = value if isinstance(value, str) else str(value)
                if (masked := mask(text)) != text:
                    event[key] = masked
        return event

    return redact


def mask_standard_logging(secrets: Iterable[str], level: int) -> None:
    """The libraries' own logs (httpx, python-telegram-bot, discord.py) are masked too: at
    the moment each record is made, so every handler, whoever attached it, sees it masked.
    httpx's request lines, which carry Telegram's token in the URL, are left out."""
    mask = masking(secrets)
    make = logging.getLogRecordFactory()
    make = getattr(make, "unmasked", make)

    def masked(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        said = record.getMessage()
        if (masked := mask(said)) != said:
            record.msg, record.args = masked, ()
        if record.exc_info:
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
        return record

    masked.unmasked = make  # type: ignore[attr-defined]
    logging.setLogRecordFactory(masked)
    logging.basicConfig(level=max(level, logging.WARNING), stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)


def configure_logging(settings: Settings, *, level: int = logging.INFO) -> None:
    """Each process's logging: to stderr, JSON lines unless on a terminal."""
    json = not sys.stderr.isatty()
    configure_masked(secrets_of(settings), level=level, file=sys.stderr, json=json)


def configure_masked(
    secrets: Iterable[str], *, level: int, file: TextIO | None, json: bool
) -> None:
    """structlog and the standard library's logging, with `secrets` masked in both;
    `file=None` writes to whatever `sys.stdout` is at the time (the test suite's capture)."""
    secrets = list(secrets)
    mask_standard_logging(secrets, level)
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redactor(secrets),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=file),
        cache_logger_on_first_use=False,
    )
