"""The core's ports on Telegram: direct messages, drop posts edited in place, Stars refunds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import structlog
from telegram import LabeledPrice
from telegram.error import BadRequest, Forbidden
from telegram.ext import ExtBot

from adapters import wording
from adapters.telegram import render
from adapters.telegram.bot import BULK, NOTICE, ready
from adapters.telegram.errors import said
from adapters.telegram.stars import invoice_payload
from core import communities, posts
from core.drops.views import drop_code
from core.fans import Account, account_on, mark_unreachable
from core.kinds import Platform
from core.messages import (
    CampaignDM,
    CreatorNote,
    DropAnnouncement,
    FanMessage,
    LiveAnnouncement,
    ShoutOut,
)
from core.money import Money
from core.orders import payer_of
from core.ports import Clock

log = structlog.get_logger(__name__)
NOT_MODIFIED = "Bad Request: message is not modified"
POST_DELETED = "Bad Request: message to edit not found"


async def telegram_user(fan_id: int) -> Account | None:
    return await account_on(fan_id, Platform.TELEGRAM)


class TelegramMessenger:
    """Direct messages in the fan's bot chat. A fan who blocked the bot is marked unreachable
    and not written to again (Telegram answers 403)."""

    def __init__(self, bot: ExtBot[Any]) -> None:
        self.bot = bot

    async def send(self, fan_id: int, message: FanMessage) -> bool:
        account = await telegram_user(fan_id)
        if account is None or not account.reachable:
            return False
        chat_id = int(account.user_ref)
        text, keyboard = render.fan_message(message)
        try:
            lead = BULK if isinstance(message, CampaignDM) else NOTICE  # replies go first
            await (await ready(self.bot)).send_message(
                chat_id, text, reply_markup=keyboard, rate_limit_args=lead
            )
            if render.is_stars(message):
                await send_invoice(self.bot, chat_id, message)  # type: ignore[arg-type]
        except Forbidden:
            await mark_unreachable(account)
            log.info("telegram_fan_unreachable", fan_id=fan_id)
            return False
        return True

    async def drop_url(self, drop_id: int) -> str | None:
        """The deep link that opens the drop in the bot chat."""
        code = await drop_code(drop_id)
        if code is None:
            return None
        return f"https://t.me/{(await ready(self.bot)).username}?start=drop_{code}"


class TelegramDesk:
    """Notes for the creator in each admin's chat with the bot (ADMIN_TELEGRAM_IDS), with a
    button that acts on them."""

    def __init__(self, bot: ExtBot[Any], admin_ids: Sequence[int]) -> None:
        self.bot = bot
        self.admin_ids = admin_ids

    async def tell(self, note: CreatorNote) -> bool:
        text, keyboard = render.creator_note(note)
        told = False
        for admin in self.admin_ids:
            try:
                await (await ready(self.bot)).send_message(admin, text, reply_markup=keyboard)
                told = True
            except (Forbidden, BadRequest):  # never started the bot, or blocked it
                log.warning("telegram_admin_unreachable", admin=admin)
        return told


async def send_invoice(
    bot: ExtBot[Any], chat_id: int, hold: HasHold, description: str = ""
) -> None:
    """A Stars invoice for one hold; its payload names the hold, checked at pre-checkout.
    `description` says what the fan is paying for (Telegram allows 255 characters)."""
    await (await ready(bot)).send_invoice(
        chat_id,
        title=f"{hold.title}: {hold.tier_name}"[:32],
        description=(description or f"{hold.tier_name} from {hold.title}")[:255],
        payload=invoice_payload(hold.hold_id),
        currency="XTR",
        prices=[LabeledPrice(hold.tier_name[:32], hold.price.minor)],
        provider_token="",
    )


class HasHold(Protocol):
    """What an invoice needs to know about a hold (a PayLinkOffer or a HeldOffer has it)."""

    @property
    def hold_id(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def tier_name(self) -> str: ...
    @property
    def price(self) -> Money: ...


class TelegramAnnouncer:
    """One post per drop per chat, edited as the drop moves; an unchanged text is not
    re-sent, so the countdown edits at most once a minute. A post someone deleted in the
    chat is posted again, or the drop would never show its news there."""

    def __init__(self, bot: ExtBot[Any], clock: Clock) -> None:
        self.bot = bot
        self.clock = clock

    async def announce(self, community_id: int, announcement: DropAnnouncement) -> None:
        bot = await ready(self.bot)
        text, keyboard = render.announcement(announcement, self.clock.now(), bot.username)
        await self._post(community_id, {"drop_id": announcement.drop_id}, text, keyboard)

    async def announce_live(self, community_id: int, announcement: LiveAnnouncement) -> None:
        bot = await ready(self.bot)
        text, keyboard = render.live_post(announcement, self.clock.now(), bot.username)
        await self._post(community_id, {"session_id": announcement.session_id}, text, keyboard)

    async def shout_out(self, community_id: int, shout_out: ShoutOut) -> None:
        community = await communities.community(community_id)
        if community.platform == Platform.TELEGRAM:
            chat_id = int(community.channel_ref or community.ref)
            await (await ready(self.bot)).send_message(chat_id, wording.shout_out_text(shout_out))

    async def _post(
        self, community_id: int, subject: dict[str, Any], text: str, keyboard: Any
    ) -> None:
        """Post in the community's chat, or edit the subject's earlier post there."""
        community = await communities.community(community_id)
        if community.platform != Platform.TELEGRAM:
            return
        bot = await ready(self.bot)
        chat_id = int(community.channel_ref or community.ref)
        post = await posts.post_of(community_id, **subject)
        if post is None:
            sent = await bot.send_message(chat_id, text, reply_markup=keyboard)
            await posts.record_post(community_id, str(sent.message_id), text, **subject)
            return
        if post.shown == text:
            return
        message_ref = post.message_ref
        try:
            await bot.edit_message_text(
                text, chat_id=chat_id, message_id=int(message_ref), reply_markup=keyboard
            )
        except BadRequest as error:
            if said(error, POST_DELETED):  # by an admin of the chat: the post goes up again
                sent = await bot.send_message(chat_id, text, reply_markup=keyboard)
                message_ref = str(sent.message_id)
            elif not said(error, NOT_MODIFIED):  # edited meanwhile by another process
                raise
        await posts.record_shown(post.id, text, message_ref)


class StarsRefunds:
    """`refundStarPayment`; a charge Telegram says was refunded already counts as done."""

    def __init__(self, bot: ExtBot[Any]) -> None:
        self.bot = bot

    async def refund(self, payment_id: str, amount: Money, reason: str) -> None:
        fan_id = await payer_of(payment_id)
        account = await telegram_user(fan_id)
        if account is None:
            raise LookupError(f"fan #{fan_id} has no Telegram account to refund")
        try:
            await (await ready(self.bot)).refund_star_payment(int(account.user_ref), payment_id)
        except BadRequest as error:
            if not said(error, "Bad Request: CHARGE_ALREADY_REFUNDED"):
                raise
