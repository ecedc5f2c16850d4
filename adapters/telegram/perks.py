"""Perk chats: a private Telegram group (or channel) that buyers of a tier may join.

Access is an invite link of the fan's own, good for one person and a day, so a forwarded
link lets nobody else in. Taking the perk back removes the fan (ban, then unban at once, so
they could come back with a new perk) and voids their link if it was never used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import structlog
from telegram import ChatMemberAdministrator
from telegram.error import BadRequest
from telegram.ext import ExtBot

from adapters.telegram.bot import ready
from adapters.telegram.delivery import telegram_user
from adapters.telegram.errors import said
from core.messages import PerkRef
from core.ports import Clock

log = structlog.get_logger(__name__)
INVITE_VALID = timedelta(hours=24)
# the ban failed because there is nobody to remove (never joined a supergroup, left a basic
# group, unknown to Telegram): the perk is gone all the same
NOBODY_TO_REMOVE = (
    "Bad Request: PARTICIPANT_ID_INVALID",
    "Bad Request: USER_NOT_PARTICIPANT",
    "Bad Request: user not found",
)


class TelegramPerks:
    def __init__(self, bot: ExtBot[Any], clock: Clock) -> None:
        self.bot = bot
        self.clock = clock

    async def grant(self, fan_id: int, perk: PerkRef, replacing: str = "") -> str:
        bot = await ready(self.bot)
        link = await bot.create_chat_invite_link(
            int(perk.ref),
            expire_date=self.clock.now() + INVITE_VALID,
            member_limit=1,
            name=f"Dropcast fan {fan_id}",
        )
        if replacing:
            await self._void(int(perk.ref), replacing)
        return link.invite_link

    async def revoke(self, fan_id: int, perk: PerkRef, access: str) -> None:
        chat_id = int(perk.ref)
        if access:
            await self._void(chat_id, access)
        account = await telegram_user(fan_id)
        if account is None:
            return  # never talked to the bot: they cannot have joined with their link
        bot = await ready(self.bot)
        user_id = int(account.user_ref)
        try:
            await bot.ban_chat_member(chat_id, user_id)
        except BadRequest as error:
            if not said(error, *NOBODY_TO_REMOVE):
                raise
            return
        await bot.unban_chat_member(chat_id, user_id, only_if_banned=True)

    async def holding(self, perks: Sequence[PerkRef]) -> Mapping[int, frozenset[str]]:
        """Nothing: the Bot API has no way to list a chat's members (getChatMember asks about
        one user, getChatAdministrators only about admins), so the access report checks
        perk chats against Dropcast's own access log instead."""
        return {}

    async def _void(self, chat_id: int, invite_link: str) -> None:
        try:
            await (await ready(self.bot)).revoke_chat_invite_link(chat_id, invite_link)
        except BadRequest as error:  # expired or revoked already: void all the same
            log.info("telegram_invite_not_revoked", reason=error.message)


async def missing_rights(bot: ExtBot[Any], chat_id: int) -> list[str]:
    """What the bot still needs in a perk chat: to invite fans and to remove them."""
    me = await bot.get_chat_member(chat_id, bot.id)
    if not isinstance(me, ChatMemberAdministrator):
        return ["make the bot an administrator of this chat"]
    needs = {"Invite users via link": me.can_invite_users, "Ban users": me.can_restrict_members}
    return [f'give the bot the "{right}" right' for right, has in needs.items() if not has]
