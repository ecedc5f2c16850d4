"""`dropcast doctor` for Stripe: the key and its mode, and the webhook endpoint that
confirms payments: it must exist for PUBLIC_BASE_URL, be enabled, send every event
adapters/stripe/webhooks.py acts on (`ACTED_ON`), and have its signing secret set here."""

from __future__ import annotations

from typing import Any

import stripe

from adapters.stripe.checkout import StripeApi
from adapters.stripe.webhooks import ACTED_ON, MEMBERSHIP
from config import Settings
from core.doctor import Check, Severity, failed, passed

KEY = "Stripe key"
ENDPOINT = "Stripe webhook endpoint"
SECRET = "STRIPE_WEBHOOK_SECRET"
NEW_KEY = ("copy the secret key (sk_live_… or sk_test_…) again from the Stripe Dashboard "
           "(Developers → API keys) into STRIPE_SECRET_KEY")  # fmt: skip
WEBHOOKS_PAGE = "the Stripe Dashboard (Developers → Webhooks)"
EVERY_EVENT = "*"  # what Stripe lists for an endpoint that asked for all events


async def stripe_checks(settings: Settings) -> list[Check]:
    assert settings.stripe_secret_key is not None
    key = settings.stripe_secret_key.get_secret_value()
    api = StripeApi(key, str(settings.stripe_api_base) if settings.stripe_api_base else None)
    try:
        listed = await api.client.v1.webhook_endpoints.list_async({"limit": 100})
    except stripe.AuthenticationError:
        return [failed(KEY, "Stripe refused STRIPE_SECRET_KEY", NEW_KEY)]
    except stripe.APIConnectionError:
        reason = "cannot reach Stripe"
        return [failed(KEY, reason, "check the network, and STRIPE_API_BASE if you set it")]
    finally:
        await api.close()
    url = f"{str(settings.public_base_url).rstrip('/')}/webhooks/stripe"
    return [
        _mode(key, settings),
        _endpoint(url, [endpoint for endpoint in listed.data if endpoint.url == url]),
        _secret(settings),
    ]


def _mode(key: str, settings: Settings) -> Check:
    """A live key charges real cards: on a setup that is not served over https (a rehearsal
    on this machine) that is likely a mistake, though not one that breaks a drop."""
    live = key.startswith(("sk_live_", "rk_live_"))
    if not live:
        return passed(KEY, "test mode: no real money moves")
    if str(settings.public_base_url).startswith("https://"):
        return passed(KEY, "live mode: real payments")
    return failed(KEY, "a live key on a setup without https: real cards would be charged",
                  "use the test key (sk_test_…) to rehearse, the live one in production",
                  Severity.WARNING)  # fmt: skip


def _endpoint(url: str, endpoints: list[Any]) -> Check:
    """The best endpoint for our URL: an enabled one first."""
    if not endpoints:
        return failed(ENDPOINT, f"no endpoint sends events to {url}",
                      f"add an endpoint in {WEBHOOKS_PAGE} with URL {url} and the events "
                      f"{', '.join(sorted(ACTED_ON))}; then set {SECRET} to its signing "
                      "secret")  # fmt: skip
    endpoint = min(endpoints, key=lambda found: found.status != "enabled")
    if endpoint.status != "enabled":
        return failed(ENDPOINT, f"the endpoint for {url} is disabled",
                      f"enable it in {WEBHOOKS_PAGE} (Stripe disables one that keeps "
                      "failing: check that `dropcast web` answers there)")  # fmt: skip
    events = set(endpoint.enabled_events)
    missing = [] if EVERY_EVENT in events else sorted(ACTED_ON - events)
    if missing:
        # a creator who sells no memberships loses nothing without their events
        severity = Severity.WARNING if set(missing) <= MEMBERSHIP else Severity.BREAKS_A_DROP
        return failed(ENDPOINT, f"the endpoint for {url} does not send {', '.join(missing)}",
                      f"add the events {', '.join(missing)} to the endpoint in "
                      f"{WEBHOOKS_PAGE}", severity)  # fmt: skip
    return passed(ENDPOINT, f"{url} is enabled with every event Dropcast acts on")


def _secret(settings: Settings) -> Check:
    if settings.stripe_webhook_secret is not None:
        return passed(SECRET, "set")
    return failed(SECRET, "not set: no payment would ever be confirmed",
                  f"copy the endpoint's signing secret (whsec_…, in {WEBHOOKS_PAGE} → the "
                  f"endpoint → Reveal) into {SECRET}")  # fmt: skip
