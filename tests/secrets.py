"""Every secret the suite configures, in one list: conftest.py fails the run if any of
them reaches a log record or a test's captured output (invariant 7, bots/logs.py).

The values are those the tests and peers use today; those files can import them from here.
"""

from __future__ import annotations

TELEGRAM_TOKENS = [
    "123456:TEST-token-for-the-fake-bot-api",  # tests/peers/telegram_bot_api.py
    "123456:telegram-secret-token-value",  # tests/scenario/dropcast_process.py
    "987654:telegram-bot-token-abcdef",  # tests/unit/test_logs.py
]
DISCORD_TOKENS = [
    "MTAw.fake.discord-bot-token",  # tests/peers/discord_api.py
    "discord-token-secret",  # tests/scenario/test_cli_bad_input.py
    "MTAw.discord-bot-token-value",  # tests/unit/test_logs.py
]
STRIPE_SECRET_KEYS = [
    "sk_test_dropcast",  # tests/integration/test_stripe_checkout.py
    "sk_test_peer",  # tests/integration/test_stripe_peer.py, tests/peers/stripe_checkout.py
    "sk_test_another_account",  # tests/integration/test_stripe_peer.py
    "sk_test_doctor_key_secret",  # tests/scenario/test_doctor.py
    "sk_test_51HsecretSTRIPEkey",  # tests/unit/test_logs.py
]
STRIPE_WEBHOOK_SECRETS = [
    "whsec_test_dropcast",  # tests/scenario/test_stripe_webhooks.py
    "whsec_someone_else",  # tests/scenario/test_stripe_webhooks.py
    "whsec_checkout_test",  # tests/integration/test_stripe_checkout.py
    "whsec_peer_test",  # tests/integration/test_stripe_peer.py
    "whsec_doctor_secret",  # tests/scenario/test_doctor.py
    "whsec_webhook-signing-secret",  # tests/unit/test_logs.py
]
PASSWORDS = [
    "correct horse battery staple",  # DASHBOARD_PASSWORD, tests/scenario/test_dashboard.py
    "s3cret-db-password",  # DATABASE_URL's, tests/scenario/test_cli_bad_input.py
    "p@ss/word-of-the-db",  # DATABASE_URL's, tests/unit/test_logs.py
]
METRICS_TOKENS = [
    # tests/scenario/test_metrics.py and test_stripe_webhooks.py, tests/unit/test_logs.py
    "metrics-bearer-token-of-the-suite",
]
SECRETS = [
    *TELEGRAM_TOKENS,
    *DISCORD_TOKENS,
    *STRIPE_SECRET_KEYS,
    *STRIPE_WEBHOOK_SECRETS,
    *PASSWORDS,
    *METRICS_TOKENS,
]


def leaked(text: str) -> list[str]:
    """The suite's secrets that `text` contains."""
    return [secret for secret in SECRETS if secret in text]
