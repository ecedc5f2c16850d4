"""What the core's messages look like in Telegram: plain text and inline keyboards."""

from __future__ import annotations

import html
from collections.abc import Set as AbstractSet
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from adapters import pickup_words, wording
from adapters.wording import countdown
from core import messages
from core.drops.members import in_member_window
from core.drops.views import DropView
from core.messages import CreatorNote, DropAnnouncement, FanMessage, LiveAnnouncement
from core.money import STARS
from core.popups.places import PopUpView

Rendered = tuple[str, InlineKeyboardMarkup | None]
STATUS_LINES = {
    "scheduled": "Opens {countdown}",
    "open": "Open now",
    "sold_out": "Sold out",
    "closed": "Closed",
    "cancelled": "Called off",
}


def announcement(post: DropAnnouncement, now: datetime, bot_username: str) -> Rendered:
    """A drop's public post; its button opens the drop in the bot chat (a deep link)."""
    status = STATUS_LINES.get(post.status, post.status)
    lines = [f"🎁 {post.title}", status.format(countdown=countdown(post.opens_at, now))]
    lines += wording.members_lines(
        post.members_only, post.members_early_minutes, post.status == "scheduled"
    )
    lines += [""] + [
        f"• {tier.name}: "
        f"{wording.tier_price(tier.price, tier.member_price, tier.members_only, False)}"
        f" ({_left(tier.available)})"
        for tier in post.tiers
    ]
    if post.status not in ("scheduled", "open"):
        return "\n".join(lines), None
    label = "Buy in the bot" if post.status == "open" else "See it in the bot"
    link = f"https://t.me/{bot_username}?start=drop_{post.code}"
    return "\n".join(lines), InlineKeyboardMarkup([[InlineKeyboardButton(label, url=link)]])


LIVE_LINES = {
    "scheduled": "Live {countdown}",
    "live": "🔴 Live now",
    "ended": "Ended. Thanks for listening!",
    "cancelled": "Called off",
}


def live_post(post: LiveAnnouncement, now: datetime, bot_username: str) -> Rendered:
    """A live session's post: sign up before, check in and buy while it is on."""
    status = LIVE_LINES.get(post.status, post.status)
    lines = [f"🎙 {post.title}", status.format(countdown=countdown(post.starts_at, now))]
    buttons = []
    if post.status == "scheduled":
        buttons.append(
            [InlineKeyboardButton("I'll be there", callback_data=f"rsvp:{post.session_id}")]
        )
    if post.status == "live":
        buttons.append(
            [InlineKeyboardButton("Check in", callback_data=f"checkin:{post.session_id}")]
        )
    if post.drop and post.status in ("scheduled", "live"):
        lines.append(f"Featuring: {post.drop.title}")
        if post.status == "live":
            link = f"https://t.me/{bot_username}?start=drop_{post.drop.code}"
            buttons.append([InlineKeyboardButton(f"Buy: {post.drop.title}", url=link)])
    return "\n".join(lines), InlineKeyboardMarkup(buttons) if buttons else None


def strike(text: str) -> str:
    """Struck through, in Telegram's HTML (the text is HTML already)."""
    return f"<s>{text}</s>"


def drop_card(
    drop: DropView,
    now: datetime,
    held: AbstractSet[int] = frozenset(),
    member_minutes: int | None = None,
) -> Rendered:
    """A drop in a fan's chat, in HTML (send it with parse_mode HTML), with a Buy button per
    tier while it sells; a tier the fan holds a unit of offers their hold to pay, sold out
    or not. A member (`member_minutes` their early access, None for others) sees their
    member prices against the struck public ones, and Buy buttons from their early access."""
    member = member_minutes is not None
    status = STATUS_LINES.get(drop.status, drop.status)
    lines = [
        f"🎁 {html.escape(drop.title)}",
        status.format(countdown=countdown(drop.opens_at, now)),
    ]
    lines += wording.members_lines(
        drop.members_only, drop.members_early_minutes, drop.status == "scheduled"
    )
    lines += [
        f"• {html.escape(tier.name)}: "
        f"{wording.tier_price(tier.price, tier.member_price, tier.members_only, member, strike)}"
        f" ({_left(tier.available)})"
        for tier in drop.tiers
    ]
    early = (
        drop.status == "scheduled"
        and drop.opens_at is not None
        and in_member_window(drop.opens_at, member_minutes, now)
    )
    if drop.status not in ("open", "sold_out") and not early:
        return "\n".join(lines), None
    buttons = [
        [
            InlineKeyboardButton(f"Pay for your {tier.name}", callback_data=f"buy:{tier.id}")
            if tier.id in held
            else InlineKeyboardButton(f"Buy {tier.name}", callback_data=f"buy:{tier.id}")
            if tier.available
            else InlineKeyboardButton(f"Waitlist: {tier.name}", callback_data=f"wait:{tier.id}")
        ]
        for tier in drop.tiers
    ]
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


def pay_button(url: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Pay now", url=url)]])


SHIP = 0  # the pickup choice's pop-up number for "Ship to me"


def pickup_buttons(tier_id: int, choices: list[PopUpView]) -> InlineKeyboardMarkup:
    """Ship, or one pop-up a button (adapters/telegram/pickup_choice.py takes the answer)."""
    labels = [(SHIP, pickup_words.SHIP_TO_ME)]
    labels += [(each.id, pickup_words.choice(each)) for each in choices[:99]]  # 100 at most
    buttons = [
        InlineKeyboardButton(text, callback_data=f"pick:{tier_id}:{n}") for n, text in labels
    ]
    return InlineKeyboardMarkup([[button] for button in buttons])


def forget_buttons(fan_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(wording.FORGET_YES, callback_data=f"forget:{fan_id}")],
            [InlineKeyboardButton(wording.FORGET_NO, callback_data="forget:no")],
        ]
    )


def fan_message(message: FanMessage) -> Rendered:
    """A direct message to a fan. An offer priced in Stars gets its invoice separately."""
    link = wording.action(message)
    rows = [[InlineKeyboardButton(link[0], url=link[1])]] if link else []
    if isinstance(message, messages.CampaignDM):  # every campaign DM: a way to say no more
        opt_out = f"optout:{message.delivery_id}"
        rows.append([InlineKeyboardButton(wording.OPT_OUT, callback_data=opt_out)])
    return wording.fan_text(message), InlineKeyboardMarkup(rows) if rows else None


def creator_note(note: CreatorNote) -> Rendered:
    """A note to the creator's admins, with a button that does what it asks."""
    text = wording.creator_text(note, "tap Go live now, or send /live start {}.")
    if not isinstance(note, messages.LateStart):
        return text, None
    go_live = InlineKeyboardButton("Go live now", callback_data=f"golive:{note.session_id}")
    return text, InlineKeyboardMarkup([[go_live]])


def is_stars(message: FanMessage) -> bool:
    return isinstance(message, messages.PayLinkOffer) and message.price.currency == STARS


def _left(available: int) -> str:
    return f"{available} left" if available else "none left"
