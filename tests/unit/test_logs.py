"""Invariant 7: secrets never reach the logs, whatever a log line carries."""

from __future__ import annotations

from urllib.parse import quote

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


DB_PASSWORD = "p@ss/word-of-the-db"
EACH_SECRET = [
    ("discord_token", "MTAw.discord-bot-token-value"),
    ("telegram_token", TOKEN),
    ("stripe_secret_key", STRIPE),
    ("stripe_webhook_secret", "whsec_webhook-signing-secret"),
    ("dashboard_password", "correct horse battery staple"),
    ("metrics_token", "metrics-bearer-token-of-the-suite"),
]


@pytest.mark.parametrize(("setting", "secret"), EACH_SECRET)
def test_each_secret_setting_is_masked(capsys, setting, secret):
    configure_logging(load_settings(public_base_url="https://d.example", **{setting: secret}))
    structlog.get_logger("test").warning("odd value", value=secret, said=f"it was {secret}")
    written = capsys.readouterr().err
    assert secret not in written
    assert written.count("[secret]") == 2


def test_the_database_password_is_masked_as_given_and_as_the_url_writes_it(capsys):
    url = f"postgres://dropcast:{quote(DB_PASSWORD, safe='')}@db.example:5432/dropcast"
    configure_logging(load_settings(database_url=url))
    structlog.get_logger("test").error("cannot connect", url=url, password=DB_PASSWORD)
    written = capsys.readouterr().err
    assert DB_PASSWORD not in written
    assert quote(DB_PASSWORD, safe="") not in written
    assert "postgres://dropcast:[secret]@db.example:5432/dropcast" in written


def test_a_telegram_token_in_an_exception_and_its_traceback_is_masked(capsys):
    configure_logging(load_settings(telegram_token=TOKEN))
    try:
        raise ConnectionError(f"POST https://api.telegram.org/bot{TOKEN}/getUpdates timed out")
    except ConnectionError:
        structlog.get_logger("test").exception("polling failed")
    written = capsys.readouterr().err
    assert TOKEN not in written
    assert "Traceback" in written
    assert "api.telegram.org/bot[secret]/getUpdates timed out" in written


def test_settings_never_print_their_secrets():
    settings = load_settings(telegram_token=TOKEN, discord_token="discord-token-value")
    assert TOKEN not in repr(settings)
    assert "discord-token-value" not in str(settings)


def test_a_stripe_key_without_a_public_address_is_refused_by_name():
    with pytest.raises(SettingsError, match="PUBLIC_BASE_URL is needed with STRIPE_SECRET_KEY"):
        load_settings(stripe_secret_key=STRIPE)
