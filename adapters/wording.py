"""What the core's direct messages say to a fan, in words every platform shares; each
adapter adds its own buttons (`action`) and formatting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from adapters import pickup_words, token_words
from core import messages
from core.analytics.ab import Verdict
from core.campaigns.planner import CampaignView, Preview
from core.campaigns.report import CampaignReport
from core.drops.copy import Pitch
from core.errors import DropcastError
from core.fans import FanProfile
from core.live.summary import LiveSummary
from core.memberships.claiming import Claimed
from core.memberships.plans import PlanView
from core.memberships.standing import FanMembership
from core.memberships.star_charges import StarsOffer
from core.messages import CreatorNote, FanMessage, ShoutOut
from core.money import Money

T = TypeVar("T")


async def outcome(action: Awaitable[T], done: Callable[[T], str], refused: str = "{}.") -> str:
    """Run a core call for a person: what it did, or why the core refused, in words."""
    try:
        return done(await action)
    except DropcastError as refusal:
        return refused.format(refusal)


def fan_text(message: FanMessage) -> str:
    match message:
        case messages.TokenReceived():
            return token_words.received(message)
        case messages.PayLinkOffer():
            intro = "A unit came free for you from the waitlist! " if message.from_waitlist else ""
            held = f"{intro}{message.title}: {message.tier_name} is held for you"
            at = f"{message.expires_at:%H:%M} UTC"
            return held_until(held, at, message.price, message.pitch)
        case messages.HoldLapsed():
            return f"Your hold on {message.title} ({message.tier_name}) lapsed unpaid."
        case messages.HoldCalledOff():
            return (
                f"{message.title} was called off by the creator. Your hold on "
                f"{message.tier_name} ended and nothing was charged."
            )
        case messages.PaymentUnderReview():
            return (
                f"You paid {message.amount} for {message.title}, but the price is "
                f"{message.price}. Nothing is lost: the creator will sort it out with you."
            )
        case messages.PaymentReturned():
            return (
                f"Your {message.amount} for {message.title} is on its way back: {message.reason}."
            )
        case messages.OrderConfirmed():
            text = (
                f"Paid: {message.title}, {message.tier_name} ({message.amount}). "
                f"Order #{message.order_id}."
            )
            text += f"\nHere it is: {message.delivery}" if message.delivery else ""
            return text + (pickup_words.receipt(message.pickup) if message.pickup else "")
        case messages.PickupMissed():
            return pickup_words.missed(message)
        case messages.OrderShipped():
            return (
                f"Order #{message.order_id} ({message.title}, {message.tier_name}) is on its way!"
            )
        case messages.PaymentNotCompleted():
            tail = " Your hold still stands: try again." if message.still_held else ""
            return f"Your payment for {message.title} did not go through.{tail}"
        case messages.PerkGranted():
            if not message.access:
                return f"You now have {message.title}."
            return (
                f"You are in: {message.title}. Your own invite, for you alone and valid for "
                "24 hours (/perks gives a fresh one):"
            )
        case messages.PerkTakenBack():
            # an order refunded, a membership ended: nothing the fan has grants it any more
            return f"Your access to {message.title} ended."
        case messages.LiveReminder():
            when = {"day": "tomorrow", "soon": "in ten minutes"}.get(message.stage)
            if when is None:
                return f"🔴 {message.title} is live now: come and listen!"
            return f"Reminder: {message.title} goes live {when}, at {message.starts_at:%H:%M} UTC."
        case messages.CampaignDM():
            return message.text
        case messages.MemberPaymentFailed():
            until = (
                f" You keep access until {day(message.grace_until)}." if message.grace_until else ""
            )
            return (
                f"Your payment for {message.plan} failed: please update your card.{until}"
                f" {portal_hint(message.portal_url)}"
            )
        case messages.MemberTrialEnds():
            return (
                f"Your free trial of {message.plan} ends on {day(message.trial_end)}; your first"
                f" payment is taken then. {portal_hint(message.portal_url)}"
            )
        case messages.MembershipCancelling():
            until = f" until {day(message.access_until)}" if message.access_until else ""
            return (
                f"Your membership of {message.plan} is cancelled: you keep access{until}, and"
                f" nothing more is charged. {portal_hint(message.portal_url)}"
            )
        case messages.MembershipOver():
            why = "ended: its payments did not go through" if message.lapsed else "has ended"
            return f"Your membership of {message.plan} {why}. To join again: /join"
        case messages.SecondSubscriptionRefunded():
            return (
                f"You subscribed to {message.plan} twice. The second subscription is cancelled"
                f" and its payment refunded; your first membership goes on."
                f" {portal_hint(message.portal_url)}"
            )
    raise TypeError(f"no wording for {type(message).__name__}")


def day(moment: datetime) -> str:
    """A date as every platform shows it to a fan."""
    return f"{moment:%d %b %Y}"


def countdown(opens_at: datetime | None, now: datetime) -> str:
    """Minute-grained, so a post is edited at most once a minute."""
    if opens_at is None:
        return "soon"
    minutes = int((opens_at - now).total_seconds() // 60)
    if minutes < 1:
        return "in under a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{mins} min"]
    return "in " + " ".join(part for part in parts[: 2 if days else 3] if part)


def per(period: str) -> str:
    """A plan's period as its price reads: "5.00 EUR / month"."""
    return {"monthly": "month", "yearly": "year"}.get(period, period)


def plan_line(plan: PlanView) -> str:
    """A plan as the creator's `/plan list` (Discord) and `/plans` (Telegram) show it."""
    parts = [f"#{plan.id} {plan.name}: {plan.price} / {per(plan.period)}"]
    if plan.stars is not None:
        parts.append(f"{plan.stars} Stars / 30 days")
    if plan.trial_days:
        parts.append(f"{plan.trial_days}-day free trial")
    if plan.perks:
        parts.append(f"perks {', '.join(plan.perks)}")
    if plan.early_access_minutes:
        parts.append(f"{plan.early_access_minutes} min early access")
    parts.append(f"{sum(n for _, n in plan.members)} member(s)")
    parts.append("on sale" if plan.on_sale else "archived")
    return ", ".join(parts)


def portal_hint(url: str | None) -> str:
    """A member's way to manage their membership: the button, or /membership."""
    return "Manage it with the button below." if url else "/membership manages it."


def creator_text(note: CreatorNote, how_to_start: str) -> str:
    """A note to the creator; `how_to_start` is the platform's way to go live."""
    match note:
        case messages.LateStart():
            return (
                f"⏰ {note.title} was due to go live at {note.starts_at:%H:%M} UTC and is not "
                f'live yet. Fans who signed up hear "we\'re live" the moment you start: '
                f"{how_to_start.format(note.session_id)}"
            )
        case messages.AccessReportNote():
            more = note.total - len(note.lines)
            return "\n".join(
                (
                    f"🔎 Access report, {note.day}: {note.total} thing(s) to look at.",
                    *(f"• {_clipped(line, NOTE_LINE)}" for line in note.lines),
                    *([f"…and {more} more."] if more > 0 else []),
                    "All of it: dropcast plan report, or the dashboard's Access page.",
                )
            )
    raise TypeError(f"no wording for {type(note).__name__}")


# a line of the access report's note: five of them and the rest fit one Discord message
NOTE_LINE = 320


def _clipped(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def held_until(
    what: str, when: str, price: Money, pitch: Pitch, strike: Callable[[str], str] | None = None
) -> str:
    """A fan's hold, in every platform's words; `when` is the time as the platform writes
    it (Discord shows each fan their own clock), `strike` how it strikes text through."""
    return f"{what} until {when} ({priced(price, pitch, strike)}).{scarcity(pitch)}"


def priced(price: Money, pitch: Pitch, strike: Callable[[str], str] | None = None) -> str:
    """The price, after a struck "was" price when the fan holds at their member price (the
    public price is struck) or their copy variant anchors it."""
    if pitch.was is None:
        return str(price)
    member = f", {MEMBER_PRICE}" if pitch.member else ""
    return f"{(strike or struck)(str(pitch.was))} {price}{member}"


def struck(text: str) -> str:
    """Text struck through in plain text, where a platform has no markup for it."""
    return f"{STRIKE.join(text)}{STRIKE}"


MEMBER_PRICE = "your member price"
MEMBERS_ONLY = "members only"


def tier_price(
    price: Money,
    member_price: Money | None,
    members_only: bool,
    member: bool,
    strike: Callable[[str], str] | None = None,
) -> str:
    """A tier's price in a drop: to a member their member price against the struck public
    one; to everyone else (and in public posts) the public price and what members get."""
    if member and member_price is not None:
        return f"{(strike or struck)(str(price))} {member_price}, {MEMBER_PRICE}"
    notes = [f"members: {member_price}"] if member_price is not None else []
    notes += [MEMBERS_ONLY] if members_only else []
    return ", ".join([str(price), *notes])


def members_lines(members_only: bool, early_minutes: int, scheduled: bool) -> list[str]:
    """What a drop's post says about members: a member-only drop, and, before it opens,
    members' early access (the most any plan gives)."""
    lines = ["Members only: /join to become one"] if members_only else []
    if scheduled and early_minutes:
        lines.append(f"Members' early access: {early_minutes} min before the opening")
    return lines


def scarcity(pitch: Pitch) -> str:
    if pitch.left is None:
        return ""
    return f" Only {pitch.left} left!" if pitch.left else " That was the last one!"


STRIKE = "\u0336"  # combining long stroke: strikes through in plain text on every platform


def action(message: FanMessage) -> tuple[str, str] | None:
    """The one link button a message carries, as (label, url), if any."""
    match message:
        case messages.PayLinkOffer() if message.url:
            return "Pay now", message.url
        case messages.PerkGranted() if message.access:
            return "Join", message.access
        case messages.CampaignDM() if message.url:
            return "Open", message.url
        case messages.MemberPaymentFailed() if message.portal_url:
            return "Update card", message.portal_url
        case (
            messages.MemberTrialEnds()
            | messages.MembershipCancelling()
            | messages.SecondSubscriptionRefunded()
        ) if message.portal_url:
            return "Manage membership", message.portal_url
    return None


def funnel_step(fans: int, before: int | None) -> str:
    """A funnel step in fans, with the share of the step before it that got this far (a fan
    can hold from the bot without tapping a link, so a step may outnumber the one before)."""
    if not before or fans > before:
        return str(fans)
    return f"{fans} ({fans / before:.0%})"


def dashboard_text(link: str) -> str:
    return f"Your dashboard, for the next 15 minutes and for one visit: {link}"


MY_DATA = "Everything Dropcast holds about you, as a JSON file."
MY_DATA_FILE = "dropcast-my-data.json"
FORGET_ASK = (
    "Forget you? Your name, accounts, email, addresses, consent records, places in queues and "
    "perks go; your orders stay only as anonymous totals. This cannot be undone."
)
FORGET_YES = "Yes, forget me"
FORGET_NO = "Keep my data"
FORGOTTEN = "Done: you are forgotten. If you write to me again, you start afresh."
KEPT = "Nothing changed: your data stays."
FORGET_NOT_YOURS = "Already done, or this button is someone else's: nothing changed."
PRIVATE_ONLY = "Ask me that in a private chat with me: what I hold about you is for you alone."

OPT_OUT = "No more messages like this"
OPTED_OUT = (
    "Done: no more messages like this. Receipts still reach you; /start (Telegram) or "
    "/dm on (Discord) to hear from us again."
)
ALREADY_OUT = "You had opted out already: nothing more will come."


def profile_text(profile: FanProfile) -> str:
    """`/me`: tier, points, and each order (with a digital order's goods)."""
    lines = [f"You are a {profile.tier.replace('_', ' ')}, with {profile.points} points."]
    for order in profile.orders:
        lines.append(
            f"#{order.id} {order.title}, {order.tier_name}: {order.amount} ({order.status})"
        )
        if order.goods:
            lines.append(f"  ↳ {order.goods}")
        if order.pickup:
            lines.append(pickup_words.pass_line(order.pickup))
    lines = lines if profile.orders else [*lines, "No orders yet."]
    return "\n".join([*lines, *(token_words.token_line(token) for token in profile.tokens)])


def link_code_text(code: str, elsewhere: str) -> str:
    return (
        f"Your link code is {code}. Within 10 minutes, send /link {code} to Dropcast on "
        f"{elsewhere}: your orders, points and perks there and here become one."
    )


LINKED = "Linked: your accounts are one now. /me shows everything together."


def claimed_text(claimed: Claimed) -> str:
    """A subscriber moved in from another tool claimed their membership."""
    if claimed.access_until is None:
        state = claimed.state.replace("_", " ")
        return f"Your {claimed.plan} subscription is yours here now, but it is {state}: no access."
    paid = ""
    if claimed.paid_through is not None:
        paid = "free until" if claimed.state == "trialing" else "paid through"
        paid = f", {paid} {day(claimed.paid_through)}"
    return (
        f"Welcome in: your {claimed.plan} membership is yours here now{paid}. It renews as "
        "before, at the price you pay: nothing new was charged."
    )


def live_summary_text(summary: LiveSummary) -> str:
    median = summary.median_minutes_to_paid
    return (
        f"listeners {summary.listeners}, minutes listened {summary.minutes_listened}, "
        f"live-code claims {summary.code_claims}, orders during {summary.orders_during}, "
        f"within 24 h after {summary.orders_within_24h}, median minutes from start to paid "
        f"{median if median is not None else '-'}"
    )


def shout_out_text(shout_out: ShoutOut) -> str:
    if shout_out.token:
        return f"📣 A shout-out to {shout_out.fan_name}, holder of {shout_out.token}!"
    return f"🎉 {shout_out.fan_name} just became {shout_out.tier.replace('_', ' ').title()}!"


def shout_out_choice(named: bool) -> str:
    if named:
        return "Shout-outs on: when you reach a tier, the community hears about it."
    return "Shout-outs off: your name stays out of public congratulations."


def campaign_text(campaign: CampaignView) -> str:
    when = (
        f"{campaign.after_minutes} min after session #{campaign.after_session_id} ends"
        if campaign.after_session_id
        else f"{campaign.send_at:%Y-%m-%d %H:%M} UTC"
        if campaign.send_at
        else "automatic"
    )
    if campaign.status == "scheduled" and when != "automatic":
        when += " (to the fans in the segment then)"
    variants = "\n".join(f"{label}: {template}" for label, template in campaign.variants)
    head = f"#{campaign.id} {campaign.name}: {campaign.status}, to {campaign.segment}, {when}"
    return f"{head}\n{variants}"


def preview_text(preview: Preview) -> str:
    sample = f" For example: {', '.join(preview.sample)}." if preview.sample else ""
    said_yes = f"{preview.opted_in} of them said yes to DMs"
    return f"{preview.segment}: {preview.size} fans, {said_yes}.{sample}"


def report_text(report: CampaignReport) -> str:
    """A campaign's report in a chat: one line per variant."""
    lines = [campaign_text(report.campaign).splitlines()[0]]
    for line in report.variants:
        skipped = ", ".join(f"{n} {why}" for why, n in line.skipped.most_common())
        lines.append(
            f"{line.label}: sent {line.statuses['sent']}, queued "
            f"{line.statuses['queued'] + line.statuses['sending']}, skipped "
            f"{sum(line.skipped.values())}{f' ({skipped})' if skipped else ''}, failed "
            f"{sum(line.failed.values())}, taps {line.taps}, orders {line.orders}"
            + (f", {line.revenue_text}" if line.revenue else "")
        )
    if (ab := report.ab_test()) is not None:
        lines.append(ab_text(ab))
    return "\n".join(lines)


def ab_text(ab: Verdict) -> str:
    """Each variant's conversion with its 95% interval, then the verdict."""
    rates = "; ".join(
        f"{arm.label} {arm.rate:.1%} ({arm.interval()[0]:.1%} to {arm.interval()[1]:.1%})"
        for arm in ab.arms
    )
    return f"Bought after the DM: {rates}. {ab.words}"


NO_PLANS = "No membership is on sale right now."
NO_MEMBERSHIP = "You are not a member of any plan yet: /join shows what is on sale."
NO_CARD = "Paying by card is not set up here ({}): pay with Telegram Stars, or ask the creator."


def plan_offer_text(offer: StarsOffer) -> str:
    """A plan on sale, as `/join` shows it."""
    lines = [offer.name]
    if offer.perks:
        lines.append(f"Members get: {', '.join(offer.perks)}")
    if offer.early_access_minutes:
        lines.append(f"Early access to drops: {offer.early_access_minutes} minutes")
    if offer.member:
        lines.append("You are a member already: /membership shows it.")
    return "\n".join(lines)


def stars_price(stars: int) -> str:
    return f"Pay {stars} \u2b50 / 30 days"


def membership_text(held: FanMembership) -> str:
    """One of the fan's memberships, as `/membership` shows it: plan, state, until."""
    state = held.state.replace("_", " ")
    if held.renews_at is not None:
        until = f", renews on {day(held.renews_at)}"
    elif held.access_until is not None:
        until = f", access until {day(held.access_until)}"
    else:
        until = ""
    return f"{held.plan}: {state}{until}"


def renewal_choice(renewing: bool, period_end: datetime | None) -> str:
    """The fan cancelled, or re-enabled, their Stars membership's renewals."""
    end = day(period_end) if period_end else "the end of the period paid for"
    if renewing:
        return f"Re-enabled: your membership renews on {end}."
    return f"Cancelled at period end: you keep access until {end}; nothing more is charged."


def joined_text(access_until: datetime | None) -> str:
    until = f" until {day(access_until)}" if access_until else ""
    return f"Welcome in: you are a member{until}, renewed every 30 days. /membership shows it."
