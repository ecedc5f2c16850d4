"""Turns committed domain events into what fans and communities are told, through the ports."""

from __future__ import annotations

import structlog

from core import messages, sql
from core.drops.holds import Holds
from core.drops.views import drop_view
from core.events import (
    DropAnnounced,
    DropCancelled,
    DropClosed,
    DropOpened,
    DropReopened,
    DropScheduled,
    DropSoldOut,
    HoldCancelled,
    HoldExpired,
    HoldPlaced,
    LiveCancelled,
    LiveEnded,
    LiveLate,
    LiveReminderDue,
    LiveScheduled,
    LiveStarted,
    OrderPaid,
    OrderReversed,
    OrderShipped,
    PaymentFailed,
    PaymentFlagged,
    PaymentRefunded,
    PickupMissed,
    TierChanged,
)
from core.messages import (
    HoldCalledOff,
    HoldLapsed,
    LiveAnnouncement,
    OrderConfirmed,
    PayLinkOffer,
    PaymentReturned,
    PaymentUnderReview,
    ShoutOut,
)
from core.models import DropTier, Fan, LiveSession, Reservation
from core.money import STARS
from core.popups.passes import PassCodes
from core.popups.pickups import pickup_of
from core.ports import Announcer, CreatorDesk, FanMessenger, PayLinks

log = structlog.get_logger(__name__)

_DELIVERED = (
    'UPDATE "order" SET "delivered_at" = {at} WHERE "id" = {order_id} AND "delivered_at" IS NULL'
)

LiveChange = LiveScheduled | LiveStarted | LiveEnded | LiveCancelled
DropChange = (
    DropAnnounced
    | DropScheduled
    | DropOpened
    | DropSoldOut
    | DropReopened
    | DropClosed
    | DropCancelled
)


class Notifier:
    """What each event owes fans and communities; core/subscriptions.py says which, and
    each method is delivered as a notice (core/notices.py), so it may run again after a
    failure: each re-reads the state and says it as it is."""

    def __init__(
        self,
        announcer: Announcer,
        messenger: FanMessenger,
        creator: CreatorDesk,
        pay_links: PayLinks,
        holds: Holds,
        pass_codes: PassCodes,
    ) -> None:
        self.announcer = announcer
        self.messenger = messenger
        self.creator = creator
        self.pay_links = pay_links
        self.holds = holds
        self.pass_codes = pass_codes

    async def announce(self, event: DropChange, community_id: int) -> None:
        """Post the drop, or edit its post to how it is now (not as it was at the event)."""
        announcement = (await drop_view(event.drop_id)).announcement()
        await self.announcer.announce(community_id, announcement)

    async def announce_live(self, event: LiveChange, community_id: int) -> None:
        session = await LiveSession.get(id=event.session_id)
        drop = (await drop_view(session.drop_id)).announcement() if session.drop_id else None
        announcement = LiveAnnouncement(
            session.id,
            session.title,
            session.status.value,
            session.starts_at,
            session.planned_minutes,
            drop,
            session.voice_channel_ref,
        )
        if not session.community_ids or community_id in session.community_ids:
            await self.announcer.announce_live(community_id, announcement)

    async def shout_out(self, event: TierChanged, community_id: int) -> None:
        """A fan who rose to a tier is congratulated in public, unless they opted out."""
        fan = await Fan.get(id=event.fan_id)
        if fan.named_in_shout_outs:
            await self.announcer.shout_out(community_id, ShoutOut(fan.display_name, event.tier))

    async def offer_waitlist_hold(self, event: HoldPlaced) -> None:
        """A fan who waited gets the freed unit with their own pay link."""
        # Stars are paid in the bot chat (the adapter sends the invoice), not through a link
        stars = event.price.currency == STARS
        url = "" if stars else (await self.holds.pay_link(event.hold_id, event.fan_id)).url
        offer = PayLinkOffer(
            event.hold_id,
            event.title,
            event.tier_name,
            event.price,
            url,
            event.expires_at,
            from_waitlist=True,
            pitch=await self.holds.pitch(event.hold_id),
        )
        await self.messenger.send(event.fan_id, offer)

    async def stop_pay_link(self, event: HoldExpired | HoldCancelled) -> None:
        """The ended hold's pay link stops taking money."""
        hold = await Reservation.get(id=event.hold_id)
        if hold.pay_ref:
            await self.pay_links.cancel(hold.pay_ref)

    async def hold_ended(self, event: HoldExpired | HoldCancelled) -> None:
        """The holder hears why their hold ended."""
        hold = await Reservation.get(id=event.hold_id).select_related("tier__drop")
        ended = HoldLapsed if isinstance(event, HoldExpired) else HoldCalledOff
        await self.messenger.send(
            event.fan_id, ended(hold.id, hold.tier.drop.title, hold.tier.name)
        )

    async def order_confirmed(self, event: OrderPaid) -> None:
        """The receipt; for a digital tier it carries the goods, and delivery is recorded;
        for a pickup, where and when, and the pass."""
        confirmed = OrderConfirmed(
            event.order_id,
            event.title,
            event.tier_name,
            event.amount,
            event.delivery,
            await pickup_of(event.order_id, self.pass_codes),
        )
        if await self.messenger.send(event.fan_id, confirmed) and event.delivery:
            await sql.rows(_DELIVERED, at=event.at, order_id=event.order_id)

    async def payment_returned(self, event: PaymentRefunded) -> None:
        tier = await DropTier.get(id=event.tier_id).select_related("drop")
        await self.messenger.send(
            event.fan_id, PaymentReturned(tier.drop.title, event.amount, event.reason)
        )

    async def order_reversed(self, event: OrderReversed) -> None:
        """A fan hears about a refund (a dispute is between them and their bank)."""
        tier = await DropTier.get(id=event.tier_id).select_related("drop")
        await self.messenger.send(
            event.fan_id, PaymentReturned(tier.drop.title, event.amount, event.reason)
        )

    async def payment_flagged(self, event: PaymentFlagged) -> None:
        tier = await DropTier.get(id=event.tier_id).select_related("drop")
        log.warning(
            "payment flagged: amount is not the price",
            order_id=event.order_id,
            amount=str(event.amount),
            price=str(event.price),
        )
        message = PaymentUnderReview(tier.drop.title, event.amount, event.price)
        await self.messenger.send(event.fan_id, message)

    async def pickup_missed(self, event: PickupMissed) -> None:
        message = messages.PickupMissed(event.order_id, event.title, event.place)
        await self.messenger.send(event.fan_id, message)

    async def order_shipped(self, event: OrderShipped) -> None:
        message = messages.OrderShipped(event.order_id, event.title, event.tier_name)
        await self.messenger.send(event.fan_id, message)

    async def live_reminder(self, event: LiveReminderDue) -> None:
        reminder = messages.LiveReminder(
            event.session_id, event.title, event.starts_at, event.stage
        )
        await self.messenger.send(event.fan_id, reminder)

    async def late_start(self, event: LiveLate) -> None:
        """Fans who signed up are waiting for their "we're live" message."""
        await self.creator.tell(messages.LateStart(event.session_id, event.title, event.starts_at))

    async def payment_failed(self, event: PaymentFailed) -> None:
        message = messages.PaymentNotCompleted(
            event.hold_id, event.title, event.tier_name, event.still_held
        )
        await self.messenger.send(event.fan_id, message)
