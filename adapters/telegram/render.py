"""What the core's messages look like in Telegram: plain text and inline keyboards."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from core import messages
from core.drops.views import DropView
from core.messages import DropAnnouncement, FanMessage
from core.money import STARS

Rendered = tuple[str, InlineKeyboardMarkup | None]
STATUS_LINES = {
    "scheduled": "Opens {countdown}",
    "open": "Open now",
    "sold_out": "Sold out",
    "closed": "Closed",
    "cancelled": "Called off",
}


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


def announcement(post: DropAnnouncement, now: datetime, bot_username: str) -> Rendered:
    """A drop's public post; its button opens the drop in the bot chat (a deep link)."""
    status = STATUS_LINES.get(post.status, post.status)
    lines = [f"🎁 {post.title}", status.format(countdown=countdown(post.opens_at, now)), ""]
    lines += [f"• {tier.name}: {tier.price} ({_left(tier.available)})" for tier in post.tiers]
    if post.status not in ("scheduled", "open"):
        return "\n".join(lines), None
    label = "Buy in the bot" if post.status == "open" else "See it in the bot"
    link = f"https://t.me/{bot_username}?start=drop_{post.code}"
    return "\n".join(lines), InlineKeyboardMarkup([[InlineKeyboardButton(label, url=link)]])


def drop_card(drop: DropView, now: datetime) -> Rendered:
    """A drop in a fan's chat, with a Buy button per tier while it sells."""
    status = STATUS_LINES.get(drop.status, drop.status)
    lines = [f"🎁 {drop.title}", status.format(countdown=countdown(drop.opens_at, now))]
    lines += [f"• {tier.name}: {tier.price} ({_left(tier.available)})" for tier in drop.tiers]
    if drop.status not in ("open", "sold_out"):
        return "\n".join(lines), None
    buttons = [
        [
            InlineKeyboardButton(f"Buy {tier.name}", callback_data=f"buy:{tier.id}")
            if tier.available
            else InlineKeyboardButton(f"Waitlist: {tier.name}", callback_data=f"wait:{tier.id}")
        ]
        for tier in drop.tiers
    ]
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


def pay_button(url: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Pay now", url=url)]])


def fan_message(message: FanMessage) -> Rendered:
    """A direct message to a fan. An offer priced in Stars gets its invoice separately."""
    match message:
        case messages.PayLinkOffer():
            intro = "A unit came free for you from the waitlist! " if message.from_waitlist else ""
            text = (
                f"{intro}{message.title}: {message.tier_name} is held for you until "
                f"{message.expires_at:%H:%M} UTC ({message.price})."
            )
            return text, pay_button(message.url) if message.url else None
        case messages.HoldLapsed():
            return f"Your hold on {message.title} ({message.tier_name}) lapsed unpaid.", None
        case messages.HoldCalledOff():
            return (
                f"{message.title} was called off by the creator. Your hold on "
                f"{message.tier_name} ended and nothing was charged.",
                None,
            )
        case messages.PaymentUnderReview():
            return (
                f"You paid {message.amount} for {message.title}, but the price is "
                f"{message.price}. Nothing is lost: the creator will sort it out with you.",
                None,
            )
        case messages.PaymentReturned():
            return (
                f"Your {message.amount} for {message.title} is on its way back: {message.reason}.",
                None,
            )
        case messages.OrderConfirmed():
            text = (
                f"Paid: {message.title}, {message.tier_name} ({message.amount}). "
                f"Order #{message.order_id}."
            )
            if message.delivery:
                text += f"\nHere it is: {message.delivery}"
            return text, None
        case messages.OrderShipped():
            return (
                f"Order #{message.order_id} ({message.title}, {message.tier_name}) is on its way!",
                None,
            )
        case messages.PaymentNotCompleted():
            tail = " Your hold still stands: try again." if message.still_held else ""
            return f"Your payment for {message.title} did not go through.{tail}", None
        case messages.PerkGranted():
            if not message.access:
                return f"You now have {message.title}.", None
            return (
                f"You are in: {message.title}. Your own invite, for you alone and valid for "
                "24 hours (/perks gives a fresh one):",
                InlineKeyboardMarkup([[InlineKeyboardButton("Join", url=message.access)]]),
            )
        case messages.PerkTakenBack():
            return f"Your access to {message.title} ended with your order.", None
    raise TypeError(f"no Telegram rendering for {type(message).__name__}")


def is_stars(message: FanMessage) -> bool:
    return isinstance(message, messages.PayLinkOffer) and message.price.currency == STARS


def _left(available: int) -> str:
    return f"{available} left" if available else "none left"
