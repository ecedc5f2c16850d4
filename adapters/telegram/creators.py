"""What the creator's admins (ADMIN_TELEGRAM_IDS) do in the bot chat: open, close and
announce a drop (making one is new_drop.py), run a live session, and connect channels by
adding the bot."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram import ChatMemberUpdated, LinkPreviewOptions, Update
from telegram.constants import ChatMemberStatus
from telegram.ext import BaseHandler, CallbackQueryHandler, ChatMemberHandler, CommandHandler

from adapters import wording
from adapters.telegram.fans import Context, answer, core_of, reply
from adapters.telegram.perks import missing_rights
from core import communities
from core.campaigns import forms
from core.campaigns.planner import Campaigns, CampaignView
from core.campaigns.report import report
from core.errors import DropcastError
from core.kinds import Platform
from core.live.views import LiveView

NOT_ADMIN = "Only the creator's admins can do that."
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def is_admin(update: Update, context: Context) -> bool:
    user = update.effective_user
    admins: frozenset[int] = context.application.bot_data["admins"]
    return user is not None and user.id in admins


async def open_drop(update: Update, context: Context) -> None:
    await _drive(update, context, lambda core, drop_id: core.drops.open(drop_id), "is open")


async def close_drop(update: Update, context: Context) -> None:
    await _drive(update, context, lambda core, drop_id: core.drops.close(drop_id), "is closed")


async def announce(update: Update, context: Context) -> None:
    await _drive(
        update, context, lambda core, drop_id: core.drops.announce(drop_id), "is announced"
    )


async def _drive(update: Update, context: Context, action: object, done: str) -> None:
    if not is_admin(update, context):
        await reply(update, NOT_ADMIN)
        return
    args = context.args or []
    if len(args) != 1 or not args[0].isdigit():
        await reply(update, "Give the drop's number, e.g. /opendrop 3")
        return
    await answer(
        update,
        action(core_of(context), int(args[0])),  # type: ignore[operator]
        lambda drop: f"{drop.title} {done}.",
        refused="{}",
    )


async def perk_chat(update: Update, context: Context) -> None:
    """`/perkchat <name> [title]`, sent in the private chat that becomes the perk: tiers
    with `perk=<name>` let their buyers in."""
    chat = update.effective_chat
    if chat is None or not is_admin(update, context):
        await reply(update, NOT_ADMIN)
        return
    if chat.type == "private":
        await reply(update, "Send /perkchat in the group or channel that buyers should join.")
        return
    args = context.args or []
    if not args:
        await reply(update, "Name the perk, e.g. /perkchat backstage Backstage chat")
        return
    missing = await missing_rights(context.bot, chat.id)
    if missing:
        await reply(update, "Not yet: " + "; ".join(missing) + ". Then send /perkchat again.")
        return
    try:
        perk = await core_of(context).perks.register(
            args[0], " ".join(args[1:]), Platform.TELEGRAM,
            str(chat.id), str(chat.id),
        )  # fmt: skip
    except DropcastError as error:
        await reply(update, str(error))
        return
    await reply(
        update,
        f"This chat is the perk {perk.name!r} ({perk.title}). A tier with perk={perk.name} "
        "sends each buyer a single-use invite, and a refund removes them.",
    )


async def tier_perk(update: Update, context: Context) -> None:
    """`/tierperk <perk> <tier|none>`: fans at that recognition tier or above hold the perk."""
    if not is_admin(update, context):
        await reply(update, NOT_ADMIN)
        return
    args = context.args or []
    if len(args) != 2:
        await reply(update, "Give a perk and a tier, e.g. /tierperk backstage insider (or none)")
        return
    tier = None if args[1].lower() == "none" else args[1].lower()
    held_by = f"fans at {tier} or above" if tier else "buyers of tiers with it only"
    await answer(
        update,
        core_of(context).perks.for_tier(args[0], tier),
        lambda perk: f"{perk.title} is now held by {held_by}.",
        refused="{}",
    )


LIVE_HELP = "Say /live start N, /live end N or /live cancel N (N: the session's number)."


async def live(update: Update, context: Context) -> None:
    """`/live start|end|cancel N`: run a planned session from the bot chat."""
    if not is_admin(update, context):
        await reply(update, NOT_ADMIN)
        return
    args = context.args or []
    if len(args) != 2 or not args[1].isdigit():
        await reply(update, LIVE_HELP)
        return
    sessions, number = core_of(context).live, int(args[1])
    match args[0].lower():
        case "start":
            await answer(update, sessions.start(number), _started, refused="{}")
        case "end":
            summary = sessions.end(number)
            await answer(update, summary, lambda s: "Ended: " + wording.live_summary_text(s))
        case "cancel":
            await answer(update, sessions.cancel(number), lambda s: f"{s.title} is called off.")
        case _:
            await reply(update, LIVE_HELP)


async def go_live(update: Update, context: Context) -> None:
    """The *Go live now* button on the note sent when a session's start time came."""
    query = update.callback_query
    assert query is not None
    ref = (query.data or "").partition(":")[2]
    if not is_admin(update, context):
        await query.answer(NOT_ADMIN, show_alert=True)
        return
    if not ref.isdigit():
        await query.answer("That button is out of date.")
        return
    started = core_of(context).live.start(int(ref))
    await query.answer((await wording.outcome(started, _started, "{}"))[:200], show_alert=True)


def _started(session: LiveView) -> str:
    return f"{session.title} is live: fans who signed up are told now. /livecode for a code."


async def dashboard(update: Update, context: Context) -> None:
    """`/dashboard`: a one-time link to the dashboard, sent to the admin privately (never in
    a group, where others could use it) and without a link preview (which would fetch it)."""
    user = update.effective_user
    if user is None or not is_admin(update, context):
        await reply(update, NOT_ADMIN)
        return
    link = await core_of(context).dashboard.new_link()
    await context.bot.send_message(
        user.id, wording.dashboard_text(link), link_preview_options=NO_PREVIEW
    )
    chat = update.effective_chat
    if chat is not None and chat.id != user.id:
        await reply(update, "I sent you the dashboard link in our private chat.")


async def campaign(update: Update, context: Context) -> None:
    """`/campaign` with a campaign written under it (see `forms`), or `/campaign preview
    <filters>`, `/campaign show N`, `/campaign cancel N`."""
    if not is_admin(update, context):
        await reply(update, NOT_ADMIN)
        return
    text = (update.effective_message.text or "") if update.effective_message else ""
    parts = text.split(maxsplit=1)
    body = parts[1].strip() if len(parts) == 2 else ""
    word, _, rest = body.partition(" ")
    core = core_of(context)
    campaigns, zone = core.campaigns, context.application.bot_data["timezone"]
    if not body:
        await reply(update, forms.HELP)
    elif word == "preview" and "\n" not in body:
        await answer(update, campaigns.preview(rest), wording.preview_text, refused="{}")
    elif word in ("show", "cancel") and rest.strip().isdigit():
        number = int(rest)
        if word == "show":
            await answer(update, report(campaigns, number), wording.report_text)
        else:
            await answer(update, campaigns.cancel(number), wording.campaign_text)
    else:
        made = _made(campaigns, body, core.clock.now(), zone)
        await answer(update, made, wording.campaign_text, refused="Not created: {}.")


async def _made(campaigns: Campaigns, body: str, now: datetime, zone: str) -> CampaignView:
    return await campaigns.create_from(forms.parse_form(body, now=now, zone=zone))


async def live_code(update: Update, context: Context) -> None:
    """`/livecode`: a code to say on air now; fans send it (or tap the link) for points."""
    if not is_admin(update, context):
        await reply(update, NOT_ADMIN)
        return
    username = context.bot.username
    await answer(
        update,
        core_of(context).attendance.new_code(),
        lambda code: (
            f"Say this on air: {code} (valid 5 minutes). Fans send it to me, or "
            f"open t.me/{username}?start=code_{code}"
        ),
        refused="{}: start the session first (dropcast live start N).",
    )


async def bot_added(update: Update, context: Context) -> None:
    """The bot made admin of a channel or group by one of the creator's admins: announce
    drops there. Removed, or added by anyone else: nothing is connected."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None or not is_admin(update, context):
        return
    chat = change.chat
    if change.new_chat_member.status == ChatMemberStatus.ADMINISTRATOR:
        await communities.joined(Platform.TELEGRAM, str(chat.id), chat.title or str(chat.id))
    elif change.new_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
        await communities.left(Platform.TELEGRAM, str(chat.id))


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The creator's admins' commands (each checks who asks) and the bot joining chats."""
    commands = {
        "live": live, "campaign": campaign, "livecode": live_code, "opendrop": open_drop,
        "closedrop": close_drop, "announce": announce, "perkchat": perk_chat,
        "tierperk": tier_perk, "dashboard": dashboard,
    }  # fmt: skip
    return [
        *(CommandHandler(name, handler) for name, handler in commands.items()),
        CallbackQueryHandler(go_live, "^golive:"),
        ChatMemberHandler(bot_added),
    ]
