"""A membership's loose ends, against the Stripe Billing peer: a second subscription to a plan
the fan holds is cancelled at once and refunded; a forgotten fan's renewal is undone and
never stored; the member is told (at most once each) of a failed card, a trial about to end,
a cancellation at the period's end and a membership over; the join refusal carries the
portal link; `/membership`'s view. The Stripe side and its fixtures are
test_stripe_memberships.py's, shared (hence fixtures named as their imports)."""
# ruff: noqa: F811

from __future__ import annotations

from datetime import timedelta

import pytest

from core import messages, privacy
from core.campaigns.segments import Segment
from core.errors import AlreadyMember, NotFound
from core.fans import fan_id_of
from core.kinds import Platform
from core.memberships.plans import PlanSpec
from core.memberships.reversals import PaymentReversals
from core.models import Fan, Membership
from core.money import Money
from tests.builders import fans
from tests.integration.test_stripe_memberships import (  # noqa: F401 - fixtures
    FAN,
    Stripe,
    api,
    core,
    member,
    period_end,
    stripe_side,
)


def said(world, kind: type) -> list:
    return [message for _, message in world.messenger.sent if isinstance(message, kind)]


async def test_a_second_subscription_is_cancelled_refunded_and_the_fan_told(
    stripe_side, stripe_peer, core, world
):
    checkout, _ = stripe_peer
    first_url = await core.joining.join("Club", FAN)
    second_url = await core.joining.join("Club", FAN)  # two tabs: no membership yet
    sessions = {s["url"]: s["id"] for s in checkout.sessions.values()}
    first = (await checkout.complete(sessions[first_url]))["data"]["object"]["subscription"]
    second = (await checkout.complete(sessions[second_url]))["data"]["object"]["subscription"]
    await stripe_side.deliver(stripe_side.pending())
    await stripe_side.deliver(stripe_side.pending())  # the cancellation's own events
    assert checkout.billing.subscriptions[second]["status"] == "canceled"
    assert checkout.billing.subscriptions[first]["status"] == "active"
    paid = checkout.billing.invoices[checkout.billing.subscriptions[second]["latest_invoice"]]
    intent = paid["payments"]["data"][0]["payment"]["payment_intent"]
    assert checkout._refunded[intent] == 500
    assert [m.subscription_ref for m in await Membership.all()] == [first]
    [told] = said(world, messages.SecondSubscriptionRefunded)
    assert told.plan == "Club"
    assert told.portal_url in {p["url"] for p in checkout.billing.portal_sessions.values()}


async def test_a_duplicates_events_again_cancel_and_tell_once(
    stripe_side, stripe_peer, core, world
):
    checkout, _ = stripe_peer
    urls = [await core.joining.join("Club", FAN) for _ in range(2)]
    sessions = {s["url"]: s["id"] for s in checkout.sessions.values()}
    for url in urls:
        await checkout.complete(sessions[url])
    events = stripe_side.pending()
    await stripe_side.deliver(events)
    for event in events:  # Stripe sends them again (new ids: the inbox keeps each once)
        event["id"] += "_again"
    await stripe_side.deliver(events)
    cancels = [r for r in checkout.requests if r[0] == "DELETE"]
    assert len(cancels) == 1
    assert len(said(world, messages.SecondSubscriptionRefunded)) == 1


async def test_joining_a_plan_held_is_refused_with_the_portal_link(stripe_side, core, stripe_peer):
    await stripe_side.join()
    with pytest.raises(AlreadyMember) as refused:
        await core.joining.join("Club", FAN)
    [portal] = stripe_peer[0].billing.portal_sessions.values()
    assert refused.value.portal_url == portal["url"]


async def test_a_forgotten_fans_renewal_is_cancelled_refunded_and_not_stored(
    stripe_side, stripe_peer, core, world
):
    checkout, _ = stripe_peer
    sub = await stripe_side.join()
    fan_id = await fan_id_of(FAN)
    await privacy.forget(fan_id, core.perks)
    sent_before = len(world.messenger.sent)
    await stripe_side.advance(days=32, hours=2)
    await stripe_side.deliver(stripe_side.pending())
    assert checkout.billing.subscriptions[sub]["status"] == "canceled"
    renewal = checkout.billing.invoices[checkout.billing.subscriptions[sub]["latest_invoice"]]
    assert renewal["billing_reason"] == "subscription_cycle"
    intent = renewal["payments"]["data"][0]["payment"]["payment_intent"]
    assert checkout._refunded[intent] == 500
    assert (await member(sub)).state == "ended"  # its end recorded; nothing of the fan's
    assert (await Fan.get(id=fan_id)).display_name == privacy.FORGOTTEN
    assert world.messenger.sent[sent_before:] == []


async def test_forgetting_a_member_cancels_their_subscription_without_a_refund(
    stripe_side, stripe_peer, core, world
):
    checkout, _ = stripe_peer
    sub = await stripe_side.join()
    paid = checkout.billing.invoices[checkout.billing.subscriptions[sub]["latest_invoice"]]
    intent = paid["payments"]["data"][0]["payment"]["payment_intent"]
    await privacy.forget(await fan_id_of(FAN), core.perks, core.bus)
    assert checkout.billing.subscriptions[sub]["status"] == "canceled"
    assert checkout._refunded[intent] == 0  # the period they paid for was theirs
    await stripe_side.deliver(stripe_side.pending())
    assert (await member(sub)).state == "ended"
    assert said(world, messages.MembershipOver) == []  # nobody left to tell


async def test_a_failed_renewal_tells_the_member_once_with_the_portal_link(
    stripe_side, stripe_peer, world
):
    checkout, _ = stripe_peer
    sub = await stripe_side.join()
    checkout.billing.set_card(checkout.billing.subscriptions[sub]["customer"],
                              "pm_card_chargeCustomerFail")  # fmt: skip
    await stripe_side.advance(days=32, hours=2)
    await stripe_side.advance(days=3)  # retries fail again: still past due, no second DM
    [told] = said(world, messages.MemberPaymentFailed)
    assert told.grace_until == (await member(sub)).grace_until
    assert told.portal_url in {p["url"] for p in checkout.billing.portal_sessions.values()}
    await stripe_side.advance(days=15)  # Stripe gives up and cancels
    [over] = said(world, messages.MembershipOver)
    assert (over.plan, over.lapsed) == ("Club", False)


async def test_cancelling_at_period_end_tells_until_when(stripe_side, stripe_peer, api, world):
    checkout, _ = stripe_peer
    sub = await stripe_side.join()
    await stripe_side.advance(hours=1)
    await api.v1.subscriptions.update_async(sub, {"cancel_at_period_end": True})
    await stripe_side.deliver(stripe_side.pending())
    [told] = said(world, messages.MembershipCancelling)
    assert told.access_until == period_end(checkout, sub)
    assert said(world, messages.MembershipOver) == []


async def test_a_trial_about_to_end_tells_the_date(core, stripe_peer, world):
    checkout, _ = stripe_peer
    await core.plans.create(PlanSpec("Trial club", Money(900, "EUR"), trial_days=7))
    side = Stripe(core, checkout)
    sub = await side.join("Trial club")
    assert "customer.subscription.trial_will_end" in await side.advance(days=5)
    [told] = said(world, messages.MemberTrialEnds)
    assert (
        told.trial_end == (await member(sub)).trial_end == checkout.clock.now() + timedelta(days=2)
    )


async def test_the_standing_names_plan_state_renewal_and_portal(stripe_side, stripe_peer, core):
    checkout, _ = stripe_peer
    assert await core.joining.standing(FAN) == []
    sub = await stripe_side.join()
    [held] = await core.joining.standing(FAN)
    assert (held.plan, held.state, held.renews_at) == ("Club", "active", period_end(checkout, sub))
    assert held.portal_url in {p["url"] for p in checkout.billing.portal_sessions.values()}


def charge_event(kind: str, intent: str, amount: int = 500, refunded: int = 500) -> dict:
    """Stripe's charge.refunded or charge.dispute.created for a payment (as Stripe sends them
    when the creator refunds in the dashboard, or the fan's bank disputes)."""
    if kind == "charge.refunded":
        obj = {"id": "ch_renewal", "object": "charge", "payment_intent": intent,
               "amount": amount, "amount_refunded": refunded}  # fmt: skip
    else:
        obj = {"id": "dp_renewal", "object": "dispute", "payment_intent": intent}
    return {"id": f"evt_{kind}_{intent}", "type": kind, "data": {"object": obj}}


async def renewed(stripe_side, checkout) -> tuple[str, str]:
    """A member whose first renewal was paid: the subscription and the renewal's payment."""
    sub = await stripe_side.join()
    await stripe_side.advance(days=32, hours=2)
    renewal = checkout.billing.invoices[checkout.billing.subscriptions[sub]["latest_invoice"]]
    assert renewal["billing_reason"] == "subscription_cycle"
    return sub, renewal["payments"]["data"][0]["payment"]["payment_intent"]


@pytest.mark.parametrize("kind", ["charge.refunded", "charge.dispute.created"])
async def test_a_refunded_or_disputed_renewal_ends_access_by_default(
    stripe_side, stripe_peer, kind
):
    checkout, _ = stripe_peer
    sub, intent = await renewed(stripe_side, checkout)
    await stripe_side.deliver([charge_event(kind, intent)])
    assert checkout.billing.subscriptions[sub]["status"] == "canceled"
    assert checkout._refunded[intent] == 0  # nothing refunded twice: the money is back already
    await stripe_side.deliver(stripe_side.pending())
    assert (await member(sub)).state == "ended"


async def test_a_partial_refund_of_a_renewal_keeps_the_membership(stripe_side, stripe_peer):
    checkout, _ = stripe_peer
    sub, intent = await renewed(stripe_side, checkout)
    await stripe_side.deliver([charge_event("charge.refunded", intent, refunded=200)])
    assert checkout.billing.subscriptions[sub]["status"] == "active"
    assert (await member(sub)).state == "active"


async def test_with_the_policy_off_a_refunded_renewal_is_only_re_read(stripe_side, stripe_peer):
    checkout, _ = stripe_peer
    sub, intent = await renewed(stripe_side, checkout)
    core = stripe_side.core
    kept = PaymentReversals(
        core.clock, core.bus, core.joining.billing, core.joining, ends_access=False
    )
    assert (await kept.reversed(intent, disputed=False)).state == "active"
    assert checkout.billing.subscriptions[sub]["status"] == "active"
    assert await kept.reversed("pi_of_no_invoice", disputed=True) is None


async def test_a_join_campaign_gives_each_fan_a_link_making_their_own_checkout(
    stripe_side, stripe_peer, core, world
):
    checkout, _ = stripe_peer
    ids = await fans(2)
    await Fan.filter(id__in=ids).update(dm_opt_in=True)
    with pytest.raises(NotFound, match="no plan called 'Gold'"):
        await core.campaigns.create("Join", Segment(), ["Join us: {link}"], url="join:Gold")
    await core.campaigns.create("Join", Segment(), ["Join us: {link}"], url="join:Club")
    while await core.outbox.drain(Platform.SANDBOX):
        pass
    links = {fan_id: world.messenger.to(fan_id)[-1].url for fan_id in ids}
    assert len(set(links.values())) == 2
    for fan_id, url in links.items():
        page = await core.join_links.follow(url.rsplit("/", 1)[1])
        [session] = [s for s in checkout.sessions.values() if s["url"] == page]
        assert session["metadata"]["fan_id"] == str(fan_id)
