"""Invariant 7: secrets never reach the logs, whatever a log line carries."""

from __future__ import annotations

import structlog

from bots.logs import configure_logging
from config import load_settings

TOKEN = "987654:telegram-bot-token-abcdef"
STRIPE = "sk_test_51HsecretSTRIPEkey"


def test_configured_secrets_are_masked_in_every_log_field(capsys):
    configure_logging(load_settings(telegram_token=TOKEN, stripe_secret_key=STRIPE))
    log = structlog.get_logger("test")
    log.info("calling api", url=f"https://api.telegram.org/bot{TOKEN}/getMe", extra={"k": STRIPE})
    log.error(f"failed with {STRIPE}")
    written = capsys.readouterr().err
    assert TOKEN not in written
    assert STRIPE not in written
    assert written.count("[secret]") == 3
    assert "api.telegram.org/bot[secret]/getMe" in written


def test_settings_never_print_their_secrets():
    settings = load_settings(telegram_token=TOKEN, discord_token="discord-token-value")
    assert TOKEN not in repr(settings)
    assert "discord-token-value" not in str(settings)
