"""Invariant 7: secrets never reach the logs, whatever a log line carries."""

from __future__ import annotations

import pytest
import structlog

from bots.logs import configure_logging
from config import SettingsError, load_settings

TOKEN = "987654:telegram-bot-token-abcdef"
STRIPE = "sk_test_51HsecretSTRIPEkey"


@pytest.fixture(autouse=True)
def _default_logging():
    """These tests point structlog at pytest's captured stderr; put it back afterwards."""
    yield
    structlog.reset_defaults()


def test_configured_secrets_are_masked_in_every_log_field(capsys):
    configure_logging(
        load_settings(
            telegram_token=TOKEN, stripe_secret_key=STRIPE, public_base_url="https://d.example"
        )
    )
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


def test_a_stripe_key_without_a_public_address_is_refused_by_name():
    with pytest.raises(SettingsError, match="PUBLIC_BASE_URL is needed with STRIPE_SECRET_KEY"):
        load_settings(stripe_secret_key=STRIPE)
