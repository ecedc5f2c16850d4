"""The Checkout peer refuses what Stripe refuses, in Stripe's words: each rule of
tests/peers/stripe_checkout.py driven through the real `stripe` library, so each test also
shows what the library raises for it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import stripe

from adapters.memory import ManualClock
from tests.peers.stripe_checkout import (
    KEY_IN_USE,
    KEY_REUSED,
    NOT_OPEN,
    PER_ENDPOINT_PER_SECOND,
    RATE_LIMITED,
    SANDBOX_PER_SECOND,
    TOO_LATE,
    TOO_SOON,
    StripeCheckoutPeer,
    webhook_endpoint,
)
from tests.stripe_client import stripe_client

SECRET = "whsec_peer_test"


@dataclass
class Rig:
    checkout: StripeCheckoutPeer
    clock: ManualClock
    url: str
    api: stripe.StripeClient

    async def create(self, params: dict[str, Any], key: str | None = None) -> Any:
        options: Any = {"idempotency_key": key} if key else {}
        return await self.api.v1.checkout.sessions.create_async(params, options=options)  # type: ignore[arg-type]

    async def refused(self, params: dict[str, Any]) -> stripe.StripeError:
        with pytest.raises(stripe.StripeError) as error:
            await self.create(params)
        return error.value


@pytest.fixture
async def peer(
    clock: ManualClock, stripe_peer: tuple[StripeCheckoutPeer, str]
) -> AsyncIterator[Rig]:
    checkout, url = stripe_peer
    async with stripe_client(url) as api:
        yield Rig(checkout, clock, url, api)


def session_params(
    clock: ManualClock, amount: int = 2500, currency: str = "eur", **extra: Any
) -> dict[str, Any]:
    price = {"currency": currency, "unit_amount": amount, "product_data": {"name": "Print"}}
    expires_at = int((clock.now() + timedelta(minutes=40)).timestamp())
    return {
        "mode": "payment",
        "line_items": [{"quantity": 1, "price_data": price}],
        "client_reference_id": "7",
        "metadata": {"hold_id": "7"},
        "success_url": "https://drops.example.com/paid",
        "expires_at": expires_at,
        **extra,
    }


# docs.stripe.com/api/idempotent_requests


async def test_a_key_used_again_with_other_parameters_is_an_idempotency_error(peer):
    await peer.create(session_params(peer.clock), key="key-1")
    with pytest.raises(stripe.IdempotencyError) as error:
        await peer.create(session_params(peer.clock, amount=2600), key="key-1")
    assert error.value.http_status == 400
    assert error.value.error.type == "idempotency_error"  # type: ignore[union-attr]
    assert error.value.user_message == KEY_REUSED.format(key="key-1")
    assert error.value.user_message == (
        "Keys for idempotent requests can only be used with the same parameters they were"
        " first used with. Try using a key other than 'key-1' if you meant to execute a"
        " different request."
    )
    assert len(peer.checkout.sessions) == 1


async def test_a_key_used_again_with_the_same_parameters_replays_the_first_answer(peer):
    params = session_params(peer.clock)
    first = await peer.create(params, key="key-2")
    peer.clock.advance(minutes=5)
    again = await peer.create(params, key="key-2")
    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert first.last_response.headers.get("Idempotent-Replayed") is None
    assert len(peer.checkout.sessions) == 1


async def test_keys_belong_to_one_account(peer):
    mine = await peer.create(session_params(peer.clock), key="shared")
    async with stripe_client(peer.url, "sk_test_another_account") as theirs:
        made = await theirs.v1.checkout.sessions.create_async(
            session_params(peer.clock, amount=9900),  # type: ignore[arg-type]
            options={"idempotency_key": "shared"},
        )
    assert made.id != mine.id


async def test_a_request_refused_by_validation_leaves_its_key_free(peer):
    with pytest.raises(stripe.InvalidRequestError):
        await peer.create(session_params(peer.clock, amount=10), key="key-3")
    made = await peer.create(session_params(peer.clock), key="key-3")
    assert made.amount_total == 2500


async def test_past_25_sessions_a_second_an_account_is_rate_limited_and_its_key_kept_free(peer):
    rush = range(PER_ENDPOINT_PER_SECOND + 1)
    answers = await asyncio.gather(
        *(peer.create(session_params(peer.clock), key=f"rush-{n}") for n in rush),
        return_exceptions=True,
    )
    [limited] = [answer for answer in answers if isinstance(answer, stripe.StripeError)]
    assert isinstance(limited, stripe.RateLimitError)
    assert (limited.http_status, limited.user_message) == (429, RATE_LIMITED)
    assert limited.error.code == "rate_limit"  # type: ignore[union-attr]
    assert peer.checkout.rate_limited == 1
    async with stripe_client(peer.url, "sk_test_another_account") as theirs:  # its own limit
        await theirs.v1.checkout.sessions.create_async(session_params(peer.clock))  # type: ignore[arg-type]
    await asyncio.sleep(1.0)  # the second passed: the same request, its key not spent
    retried = [n for n, answer in enumerate(answers) if answer is limited]
    made = await peer.create(session_params(peer.clock), key=f"rush-{retried[0]}")
    assert made.last_response.headers.get("Idempotent-Replayed") is None
    assert len(peer.checkout.sessions) == PER_ENDPOINT_PER_SECOND + 2


async def test_reads_of_one_endpoint_share_its_25_a_second_whatever_the_id(peer):
    made = [await peer.create(session_params(peer.clock)) for _ in range(3)]
    await asyncio.sleep(1.0)  # the creations' second passed
    reads = range(PER_ENDPOINT_PER_SECOND + 1)
    answers = await asyncio.gather(
        *(peer.api.v1.checkout.sessions.retrieve_async(made[n % 3].id) for n in reads),
        return_exceptions=True,
    )
    [limited] = [answer for answer in answers if isinstance(answer, stripe.StripeError)]
    assert isinstance(limited, stripe.RateLimitError)
    assert (limited.http_status, limited.user_message) == (429, RATE_LIMITED)


async def test_a_sandbox_takes_25_requests_a_second_across_its_endpoints(peer):
    made = await peer.create(session_params(peer.clock))
    await asyncio.sleep(1.0)
    half = SANDBOX_PER_SECOND // 2 + 1  # each endpoint under its own limit, the two over
    answers = await asyncio.gather(
        *(peer.api.v1.checkout.sessions.retrieve_async(made.id) for _ in range(half)),
        *(peer.create(session_params(peer.clock)) for _ in range(half)),
        return_exceptions=True,
    )
    limited = [answer for answer in answers if isinstance(answer, stripe.RateLimitError)]
    assert len(limited) == 2 * half - SANDBOX_PER_SECOND


async def test_a_refund_forwarded_to_localstripe_keeps_its_key_too(peer):
    session = await peer.create(session_params(peer.clock))
    payment = (await peer.checkout.complete(session.id))["data"]["object"]["payment_intent"]
    refunds = peer.api.v1.refunds
    key = {"idempotency_key": "refund-1"}
    await refunds.create_async({"payment_intent": payment, "amount": 1000}, options=key)
    with pytest.raises(stripe.IdempotencyError):
        await refunds.create_async({"payment_intent": payment, "amount": 500}, options=key)


async def test_a_key_is_forgotten_after_24_hours_and_may_be_used_afresh(peer):
    session = await peer.create(session_params(peer.clock))
    payment = (await peer.checkout.complete(session.id))["data"]["object"]["payment_intent"]
    refunds, key = peer.api.v1.refunds, {"idempotency_key": "refund-1"}
    await refunds.create_async({"payment_intent": payment, "amount": 1000}, options=key)
    peer.clock.advance(hours=24)
    again = await refunds.create_async({"payment_intent": payment, "amount": 500}, options=key)
    assert again.amount == 500  # a new request, not a replay nor an idempotency error


async def test_a_payment_refunded_in_full_refuses_another_refund(peer):
    session = await peer.create(session_params(peer.clock))
    payment = (await peer.checkout.complete(session.id))["data"]["object"]["payment_intent"]
    await peer.api.v1.refunds.create_async({"payment_intent": payment})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await peer.api.v1.refunds.create_async({"payment_intent": payment})
    assert refused.value.code == "charge_already_refunded"
    assert refused.value.user_message == f"Charge for {payment} has already been refunded."


async def test_a_request_made_while_its_key_is_still_executing_is_refused_and_keeps_nothing(
    peer,
):
    session = await peer.create(session_params(peer.clock))
    payment = (await peer.checkout.complete(session.id))["data"]["object"]["payment_intent"]
    peer.checkout.latency = 0.2  # the first is still at Stripe when the second arrives
    refund = {"payment_intent": payment, "amount": 2500}
    key = {"idempotency_key": "refund-twice"}
    first, second = await asyncio.gather(
        peer.api.v1.refunds.create_async(refund, options=key),  # type: ignore[arg-type]
        peer.api.v1.refunds.create_async(refund, options=key),  # type: ignore[arg-type]
        return_exceptions=True,
    )
    assert type(second) is stripe.APIError  # a 409: the library's own retries try it again
    assert (second.http_status, second.user_message) == (409, KEY_IN_USE.format(key="refund-twice"))
    assert second.error.code == "idempotency_key_in_use"  # type: ignore[union-attr]
    again = await peer.api.v1.refunds.create_async(refund, options=key)  # type: ignore[arg-type]
    assert again.id == first.id  # type: ignore[union-attr]
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    listed = await peer.api.v1.refunds.list_async()
    assert [r.id for r in listed.data if r.payment_intent == payment] == [first.id]  # type: ignore[union-attr]


# docs.stripe.com/currencies


@pytest.mark.parametrize(
    ("amount", "currency", "least"),
    [
        (49, "usd", "$0.50 usd"),
        (49, "eur", "€0.50 eur"),
        (29, "gbp", "£0.30 gbp"),
        (49, "jpy", "¥50 jpy"),  # zero-decimal: 50 is ¥50
        (17499, "huf", "175.00 huf"),  # two-decimal for charges
    ],
)
async def test_less_than_stripes_minimum_charge_is_amount_too_small(peer, amount, currency, least):
    error = await peer.refused(session_params(peer.clock, amount, currency))
    assert isinstance(error, stripe.InvalidRequestError)
    assert (error.http_status, error.code) == (400, "amount_too_small")
    assert error.user_message == (
        f"The Checkout Session's total amount due must add up to at least {least}"
    )


async def test_the_minimum_itself_is_charged_and_huf_may_hold_a_fraction(peer):
    for amount, currency in ((50, "usd"), (50, "jpy"), (30, "gbp"), (17550, "huf")):
        made = await peer.create(session_params(peer.clock, amount, currency))
        assert (made.amount_total, made.currency) == (amount, currency)


async def test_a_three_decimal_amount_must_end_in_zero(peer):
    error = await peer.refused(session_params(peer.clock, 1005, "kwd"))
    assert isinstance(error, stripe.InvalidRequestError)
    assert error.http_status == 400
    assert error.param == "line_items[0][price_data][unit_amount]"
    assert "kwd amounts must end in 0" in str(error.user_message)
    assert (await peer.create(session_params(peer.clock, 1010, "kwd"))).amount_total == 1010


async def test_isk_is_two_decimal_with_whole_kronur_only(peer):
    error = await peer.refused(session_params(peer.clock, 1050, "isk"))  # 10.50 ISK
    assert isinstance(error, stripe.InvalidRequestError)
    assert error.http_status == 400
    assert "isk amounts must be divisible by 100" in str(error.user_message)
    made = await peer.create(session_params(peer.clock, 105000, "isk"))  # 1050 ISK
    assert made.amount_total == 105000


# docs.stripe.com/api/checkout/sessions


@pytest.mark.parametrize(
    ("lifetime", "message"),
    [(timedelta(minutes=29, seconds=59), TOO_SOON), (timedelta(hours=24, seconds=1), TOO_LATE)],
)
async def test_expires_at_is_30_minutes_to_24_hours_away(peer, lifetime, message):
    expires_at = int((peer.clock.now() + lifetime).timestamp())
    error = await peer.refused(session_params(peer.clock, expires_at=expires_at))
    assert isinstance(error, stripe.InvalidRequestError)
    assert (error.http_status, error.param, error.user_message) == (400, "expires_at", message)


async def test_a_session_expires_by_itself_and_stripe_says_so(peer):
    expires_at = int((peer.clock.now() + timedelta(minutes=30)).timestamp())
    made = await peer.create(session_params(peer.clock, expires_at=expires_at))
    peer.clock.advance(minutes=30)
    sessions = peer.api.v1.checkout.sessions
    assert (await sessions.retrieve_async(made.id)).status == "expired"
    with pytest.raises(stripe.InvalidRequestError) as error:
        await sessions.expire_async(made.id)
    assert error.value.user_message == NOT_OPEN
    [event] = peer.checkout.events
    assert (event["type"], event["data"]["object"]["id"]) == ("checkout.session.expired", made.id)
    assert event["request"] == {"id": None, "idempotency_key": None}  # Stripe's own doing
    with pytest.raises(ValueError, match="expired"):
        await peer.checkout.complete(made.id)  # the fan can no longer pay


async def test_a_session_expired_through_the_api_names_the_request(peer):
    made = await peer.create(session_params(peer.clock))
    await peer.api.v1.checkout.sessions.expire_async(made.id, options={"idempotency_key": "x-1"})
    [event] = peer.checkout.events
    assert event["request"]["idempotency_key"] == "x-1"
    assert event["request"]["id"].startswith("req_")


async def test_a_completed_session_event_has_stripes_shape_and_verifies(peer):
    made = await peer.create(session_params(peer.clock))
    event = await peer.checkout.complete(made.id)
    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(body, SECRET)
    assert stripe.Webhook.construct_event(body, header, SECRET).type == event["type"]
    assert set(event) == {
        "id", "object", "api_version", "created", "data", "livemode", "pending_webhooks",
        "request", "type",
    }  # fmt: skip
    assert (event["object"], event["api_version"]) == ("event", stripe.api_version)
    assert event["type"] == "checkout.session.completed"
    session = event["data"]["object"]
    assert session["id"] == made.id
    assert (session["amount_total"], session["currency"]) == (2500, "eur")
    assert (session["status"], session["payment_status"]) == ("complete", "paid")
    assert session["payment_intent"].startswith("pi_")
    assert (session["client_reference_id"], session["metadata"]) == ("7", {"hold_id": "7"})
    assert (session["livemode"], session["created"]) == (False, made.created)


async def test_an_unknown_session_is_resource_missing(peer):
    with pytest.raises(stripe.InvalidRequestError) as error:
        await peer.api.v1.checkout.sessions.retrieve_async("cs_test_nothing")
    assert (error.value.http_status, error.value.code) == (404, "resource_missing")
    assert error.value.user_message == "No such checkout.session: 'cs_test_nothing'"


async def test_a_key_that_is_not_a_test_secret_key_is_refused(peer):
    async with stripe_client(peer.url, "pk_test_publishable") as public:
        with pytest.raises(stripe.AuthenticationError) as error:
            await public.v1.checkout.sessions.create_async(session_params(peer.clock))  # type: ignore[arg-type]
    assert error.value.http_status == 401


async def test_webhook_endpoints_are_listed_in_stripes_shape_for_a_secret_key_only(peer):
    peer.checkout.webhook_endpoints.append(
        webhook_endpoint("https://drops.example/webhooks/stripe", ["charge.refunded"], "disabled")
    )
    listed = await peer.api.v1.webhook_endpoints.list_async()
    [endpoint] = listed.data
    assert (endpoint.object, endpoint.status) == ("webhook_endpoint", "disabled")
    assert endpoint.enabled_events == ["charge.refunded"]
    async with stripe_client(peer.url, "pk_test_publishable") as public:
        with pytest.raises(stripe.AuthenticationError):
            await public.v1.webhook_endpoints.list_async()
