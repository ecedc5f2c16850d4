"""Every subscriber to the core's domain events, in one place a reader can see.

Each is a notice: written with the change and delivered until it is done or `failed`
(core/notices.py), so a process killed after a sale still awards its points, grants its
perk and sends its receipt. Each handler is idempotent (points are awarded once per order
and reason, perks reconciled, messages re-read), so a retry changes nothing twice. The
order here is the order of delivery: points and perks before the receipt, so the receipt
and then `/me` show them. In-process listeners (`EventBus.subscribe`) only watch.
"""

from __future__ import annotations

from typing import Any

from core import events as e
from core.bus import EventBus
from core.consent import Consent
from core.memberships.access_report import AccessReports
from core.memberships.news import MemberNews, owes_news
from core.memberships.refusals import CANCEL, Refusals, refusal_key
from core.memberships.reversals import PaymentReversals
from core.notices import Deliver, Subscription, perks_key
from core.notifications import Notifier
from core.perk_tokens.minting import Minting
from core.perk_tokens.news import TokenNews
from core.perks import PerkEvent, PerkService, moves_perks
from core.recognition import Recognition

DROP_CHANGES = (
    e.DropAnnounced,
    e.DropScheduled,
    e.DropOpened,
    e.DropSoldOut,
    e.DropReopened,
    e.DropClosed,
    e.DropCancelled,
)
STOCK_CHANGES = (e.DropSoldOut, e.DropReopened)
LIVE_CHANGES = (e.LiveScheduled, e.LiveStarted, e.LiveEnded, e.LiveCancelled)


def subscribe_all(
    bus: EventBus,
    *,
    recognition: Recognition,
    perks: PerkService,
    consent: Consent,
    notifier: Notifier,
    shout_outs: bool,
) -> None:
    def dm(event: type[e.DomainEvent], name: str, handler: Deliver, **more: Any) -> Subscription:
        """A message to a fan: never sent twice, even by a process that died sending it."""
        return Subscription(event, f"dm.{name}", handler, at_most_once=True, **more)

    def fans_perks(event: PerkEvent) -> str:
        return perks_key(event.fan_id)

    owed = [
        # points first: the receipt, and then /me, show them
        Subscription(e.OrderPaid, "points.bought", recognition.order_paid),
        Subscription(e.OrderReversed, "points.reversed", recognition.order_reversed),
        Subscription(e.OrderRestored, "points.restored", recognition.order_restored),
        Subscription(e.OrderPaid, "consent.bought", consent.bought),
        *(
            Subscription(change, "post.drop", notifier.announce, per_community=True,
                         key=lambda event, place: f"post:{place}:drop:{event.drop_id}")
            for change in DROP_CHANGES if change not in STOCK_CHANGES
        ),
        # a fan's tap or payment sold the drop out (or a lapsed hold put it back on sale):
        # they are answered first, the posts follow
        *(
            Subscription(change, "post.stock", notifier.announce, per_community=True,
                         key=lambda event, place: f"post:{place}:drop:{event.drop_id}",
                         follows=True)
            for change in STOCK_CHANGES
        ),
        *(
            Subscription(change, "post.live", notifier.announce_live, per_community=True,
                         key=lambda event, place: f"post:{place}:live:{event.session_id}")
            for change in LIVE_CHANGES
        ),
        Subscription(e.OrderPaid, "perks.bought", perks.follow,
                     when=lambda event: event.perk_id is not None,
                     key=lambda event, _: fans_perks(event)),
        Subscription(e.OrderReversed, "perks.reversed", perks.follow,
                     key=lambda event, _: fans_perks(event)),
        Subscription(e.OrderRestored, "perks.restored", perks.follow,
                     key=lambda event, _: fans_perks(event)),
        Subscription(e.TierChanged, "perks.tier", perks.follow,
                     key=lambda event, _: fans_perks(event)),
        # a membership's access started or ended: the plan's perks follow (access that runs
        # out by time, with no event, is caught by the sweep; a renewal moves no perk)
        Subscription(e.MembershipChanged, "perks.membership", perks.follow,
                     when=moves_perks, key=lambda event, _: fans_perks(event)),
        dm(e.HoldPlaced, "waitlist_offer", notifier.offer_waitlist_hold,
                     when=lambda event: event.from_waitlist),
        Subscription(e.HoldExpired, "pay.stop_link", notifier.stop_pay_link),
        Subscription(e.HoldCancelled, "pay.stop_link", notifier.stop_pay_link),
        dm(e.HoldExpired, "hold_ended", notifier.hold_ended),
        dm(e.HoldCancelled, "hold_ended", notifier.hold_ended),
        dm(e.PaymentFlagged, "under_review", notifier.payment_flagged),
        dm(e.OrderPaid, "receipt", notifier.order_confirmed),
        dm(e.PaymentRefunded, "payment_returned", notifier.payment_returned),
        dm(e.OrderReversed, "refunded", notifier.order_reversed,
                     when=lambda event: event.status == "refunded"),
        dm(e.OrderShipped, "shipped", notifier.order_shipped),
        dm(e.PickupMissed, "pickup_missed", notifier.pickup_missed),
        dm(e.PaymentFailed, "payment_failed", notifier.payment_failed),
        dm(e.LiveReminderDue, "live_reminder", notifier.live_reminder),
        Subscription(e.LiveLate, "desk.late_start", notifier.late_start, at_most_once=True),
    ]  # fmt: skip
    if shout_outs:
        owed.append(
            Subscription(e.TierChanged, "post.shout_out", notifier.shout_out, per_community=True,
                         when=lambda event: event.rose, at_most_once=True)
        )  # fmt: skip
    for subscription in owed:
        bus.notices.subscribe(subscription)


def subscribe_members(
    bus: EventBus, *, refusals: Refusals, reversals: PaymentReversals, news: MemberNews
) -> None:
    """A membership's own side effects: a refused subscription cancelled and refunded at the
    provider before its fan is told (one key orders them), a subscription whose payment was
    refunded or disputed cancelled by the creator's policy, and the member's DMs on a change
    of state (core/memberships/news.py)."""
    owed = [
        Subscription(e.MembershipPaymentReversed, "billing.reversed", reversals.end),
        Subscription(e.SubscriptionRefused, CANCEL, refusals.cancel, key=_refused_key),
        Subscription(e.SubscriptionRefused, "dm.subscription_refused", news.refused,
                     when=lambda event: event.fan_id is not None, key=_refused_key,
                     at_most_once=True),
        Subscription(e.MembershipChanged, "dm.membership", news.changed, when=owes_news,
                     at_most_once=True),
        Subscription(e.MemberTrialEnding, "dm.trial_ending", news.trial_ending,
                     at_most_once=True),
    ]  # fmt: skip
    for subscription in owed:
        bus.notices.subscribe(subscription)


def subscribe_access(bus: EventBus, access: AccessReports) -> None:
    """The day's access report to the creator's admins: a message, sent at most once."""
    bus.notices.subscribe(
        Subscription(e.AccessReportDue, "desk.access_report", access.tell, at_most_once=True)
    )


def subscribe_tokens(bus: EventBus, minting: Minting, news: TokenNews) -> None:
    """Perk tokens (core/perk_tokens/news.py): the DM that a token is the fan's, the perk
    that follows a redeem or a window (in turn with the fan's other perk changes), a
    redeemed shout-out's post, and a session's giveaways drawn when it ends."""
    owed = [
        Subscription(e.TokenGiven, "dm.token", news.given, at_most_once=True),
        Subscription(e.TokenRedeemed, "perks.token", news.follow,
                     when=lambda event: event.kind == "perk",
                     key=lambda event, _: perks_key(event.fan_id)),
        Subscription(e.TokenWindowMoved, "perks.token_window", news.follow,
                     key=lambda event, _: perks_key(event.fan_id)),
        Subscription(e.TokenRedeemed, "post.token_shout_out", news.shout_out,
                     per_community=True, when=lambda event: event.kind == "shout_out",
                     at_most_once=True),
        Subscription(e.LiveEnded, "tokens.giveaway", minting.draw_at_end),
    ]  # fmt: skip
    for subscription in owed:
        bus.notices.subscribe(subscription)


def _refused_key(event: e.SubscriptionRefused, _: int | None) -> str:
    return refusal_key(event)
