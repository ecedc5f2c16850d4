"""`dropcast doctor` for Telegram: the token, every connected chat (the bot can post there)
and every perk chat (the bot can let buyers in and take them out), asked of Telegram
through the bot the processes use (adapters/telegram/bot.py)."""

from __future__ import annotations

from typing import Any

from telegram import ChatMember, ChatMemberAdministrator, ChatMemberOwner, ChatMemberRestricted
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError
from telegram.ext import ExtBot

from adapters.telegram.bot import telegram_bot
from adapters.telegram.perks import missing_rights
from config import Settings
from core.doctor import Check, PerkPlace, Place, connected_perks, connected_places, failed, passed

TOKEN = "Telegram token"
ADD_BACK = "add the bot to it again as an administrator (Telegram connects it by itself)"
NEW_TOKEN = "copy the token again from @BotFather (/token) into TELEGRAM_TOKEN"
PERK_BACK = "add the bot to it again as an administrator, then send /perkchat {name} there"


async def telegram_checks(settings: Settings, *, places: bool) -> list[Check]:
    """The token first; the chats only with a token that works and a database to read
    (`places`)."""
    bot = telegram_bot(settings)
    try:
        return await _checks(bot, places=places)
    finally:
        await bot.shutdown()  # a refused token too: the connections opened before getMe


async def _checks(bot: ExtBot[Any], *, places: bool) -> list[Check]:
    try:
        await bot.initialize()  # getMe
    except InvalidToken:  # its message quotes the token: never shown
        return [failed(TOKEN, "Telegram refused TELEGRAM_TOKEN", NEW_TOKEN)]
    except NetworkError as error:
        reason = f"cannot reach Telegram ({type(error).__name__})"
        return [failed(TOKEN, reason, "check the network, and TELEGRAM_API_BASE_URL if you set it")]
    checks = [passed(TOKEN, f"@{bot.username}")]
    if places:
        for community in await connected_places("telegram"):
            checks.append(await _community(bot, community))
        for perk in await connected_perks("telegram"):
            checks.append(await _perk_chat(bot, perk))
    return checks


async def _community(bot: ExtBot[Any], community: Place) -> Check:
    name = f"Telegram chat {community.name!r}"
    try:
        me = await bot.get_chat_member(int(community.ref), bot.id)
    except (BadRequest, Forbidden) as error:
        return failed(name, f"Telegram says: {error.message}", ADD_BACK)
    if problem := _cannot_post(me):
        return failed(name, "the bot cannot post drops there", problem)
    return passed(name, "the bot can post and edit its posts")


def _cannot_post(me: ChatMember) -> str:
    """The fix, when the bot cannot post drops (and edit their countdowns) in the chat. A
    channel takes posts from administrators only, with the rights Telegram gives there."""
    if isinstance(me, ChatMemberAdministrator):
        rights = {"Post messages": me.can_post_messages,
                  "Edit messages of others": me.can_edit_messages}  # fmt: skip
        lacking = [right for right, has in rights.items() if has is False]  # None: not a channel
        return "; ".join(f'give the bot the "{right}" right' for right in lacking)
    if isinstance(me, ChatMemberOwner):
        return ""
    if isinstance(me, ChatMemberRestricted) and not me.can_send_messages:
        return "let the bot send messages: remove its restriction (Members → Dropcast)"
    if me.status in (ChatMember.LEFT, ChatMember.BANNED):
        return ADD_BACK
    return ""


async def _perk_chat(bot: ExtBot[Any], perk: PerkPlace) -> Check:
    name = f"Telegram perk chat {perk.name!r}"
    try:
        missing = await missing_rights(bot, int(perk.place_ref))
    except (BadRequest, Forbidden) as error:
        return failed(name, f"Telegram says: {error.message}", PERK_BACK.format(name=perk.name))
    if missing:
        return failed(name, "the bot cannot let buyers in or take them out", "; ".join(missing))
    return passed(name, "the bot can invite and remove members")
