"""The fake Bot API refuses what Telegram refuses, in Telegram's words: each rule of
tests/peers/telegram_bot_api.py driven through python-telegram-bot's real `Bot`, so each
test also shows what PTB raises for it. Then our Telegram adapters against those refusals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import ClientSession, web
from telegram import (
    Bot,
    ChatMemberAdministrator,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    TransactionPartnerUser,
    Update,
)
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import ExtBot

from adapters.memory import ManualClock
from adapters.telegram.perks import TelegramPerks
from core.fans import fan_for
from core.kinds import Platform
from core.messages import PerkRef
from tests.peers.telegram_bot_api import QUERY_TOO_OLD, Invoice, TelegramBotApi
from tests.peers.ticks import Ticks

FAN, OTHER, SUPERGROUP, BASIC_GROUP = 2002, 3003, -100777, -4242
TOO_OLD = "Query is too old and response timeout expired or query id is invalid"


@pytest.fixture
async def peer() -> AsyncIterator[TelegramBotApi]:
    clock = ManualClock()
    async with TelegramBotApi(now=lambda: clock.now().timestamp(), ticks=Ticks()) as api:
        api.bot_rights[SUPERGROUP] = {"can_invite_users": True, "can_restrict_members": True}
        api.bot_rights[BASIC_GROUP] = {"can_invite_users": True, "can_restrict_members": True}
        api.chats[BASIC_GROUP] = "group"
        yield api


@pytest.fixture
async def bot(peer: TelegramBotApi) -> AsyncIterator[Bot]:
    """PTB's plain `Bot`: no rate limiter between the refusal and the test."""
    async with Bot(peer.token, base_url=peer.base_url) as plain:
        yield plain


def advance(peer: TelegramBotApi, seconds: float) -> None:
    """Move Telegram's calendar on."""
    now = peer.now()
    peer.now = lambda: now + seconds


def tick(peer: TelegramBotApi, seconds: float) -> None:
    """Move the clock the flood limits count on."""
    assert isinstance(peer.ticks, Ticks)
    peer.ticks.value += seconds


async def test_a_fan_who_blocked_the_bot_is_forbidden_and_ptb_keeps_the_prefix(peer, bot):
    peer.blocked.add(FAN)
    with pytest.raises(Forbidden) as refused:
        await bot.send_message(FAN, "hello")
    assert refused.value.message == "Forbidden: bot was blocked by the user"


async def test_a_group_the_bot_is_not_in_is_not_found(bot):
    with pytest.raises(BadRequest) as refused:
        await bot.send_message(-100999, "hello")
    assert refused.value.message == "Chat not found"  # "Bad Request: " cut, capitalised


@pytest.mark.parametrize(
    ("text", "raised"),
    [
        (" ", "Message text is empty"),
        ("x" * 4097, "Message is too long"),
    ],
)
async def test_a_text_is_one_to_4096_characters(bot, text, raised):
    with pytest.raises(BadRequest) as refused:
        await bot.send_message(FAN, text)
    assert refused.value.message == raised
    assert (await bot.send_message(FAN, "x" * 4096)).text == "x" * 4096


@pytest.mark.parametrize(
    ("text", "raised"),
    [
        ("<x>9.00 EUR</x>", 'Can\'t parse entities: unsupported start tag "x"'),
        ("Tom & Jerry", "Can't parse entities: character '&' is reserved"),
        (
            "<s>9.00 EUR",
            "Can't parse entities: can't find end tag corresponding to start tag \"s\"",
        ),
    ],
)
async def test_an_html_text_telegram_cannot_parse_is_refused(peer, bot, text, raised):
    with pytest.raises(BadRequest) as refused:
        await bot.send_message(FAN, text, parse_mode="HTML")
    assert refused.value.message.startswith(raised)
    sent = await bot.send_message(FAN, "<s>9.00 EUR</s> 7.00 EUR &amp; more", parse_mode="HTML")
    assert sent.text == "9.00 EUR 7.00 EUR & more"
    assert peer.to(FAN)[-1].struck == ("9.00 EUR",)


async def test_a_caption_is_at_most_1024_characters(bot):
    with pytest.raises(BadRequest) as refused:
        await bot.send_document(FAN, b"{}", filename="data.json", caption="x" * 1025)
    assert refused.value.message == "Message caption is too long"


async def test_callback_data_over_64_bytes_is_refused(bot):
    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("Buy", callback_data=data)]])

    await bot.send_message(FAN, "fits", reply_markup=keyboard("x" * 64))
    with pytest.raises(BadRequest) as refused:
        await bot.send_message(FAN, "two bytes a letter", reply_markup=keyboard("é" * 33))
    assert refused.value.message == "Button_data_invalid"


async def test_an_edit_that_changes_nothing_or_finds_nothing_is_refused(bot):
    sent = await bot.send_message(FAN, "Open now")
    with pytest.raises(BadRequest) as unchanged:
        await bot.edit_message_text("Open now", FAN, sent.message_id)
    assert unchanged.value.message == (
        "Message is not modified: specified new message content and reply markup are exactly"
        " the same as a current content and reply markup of the message"
    )
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Buy", callback_data="buy:1")]])
    await bot.edit_message_reply_markup(FAN, sent.message_id, reply_markup=keyboard)
    with pytest.raises(BadRequest) as same_keyboard:
        await bot.edit_message_reply_markup(FAN, sent.message_id, reply_markup=keyboard)
    assert same_keyboard.value.message == unchanged.value.message
    with pytest.raises(BadRequest) as missing:
        await bot.edit_message_text("Sold out", FAN, 999_999)
    assert missing.value.message == "Message to edit not found"


async def test_a_callback_query_takes_one_answer_within_15_seconds(peer, bot):
    card = await bot.send_message(FAN, "card")
    message = peer.to(FAN)[0]
    assert card.message_id == message.message_id
    in_time = await peer.user_taps(FAN, message, "buy:1")
    advance(peer, 15)
    assert await bot.answer_callback_query(in_time, "Held for you!")
    with pytest.raises(BadRequest) as twice:
        await bot.answer_callback_query(in_time, "Held again")
    assert twice.value.message == TOO_OLD
    late = await peer.user_taps(FAN, message, "buy:1")
    advance(peer, 15.5)
    with pytest.raises(BadRequest) as too_late:
        await bot.answer_callback_query(late)
    assert too_late.value.message == TOO_OLD
    assert QUERY_TOO_OLD.removeprefix("Bad Request: ").capitalize() == TOO_OLD


async def test_a_pre_checkout_query_is_answered_within_10_seconds(peer, bot):
    invoice = Invoice(FAN, 1, "Winter drop", "hold:1", "XTR", 150)
    query = await peer.user_checks_out(FAN, invoice)
    advance(peer, 10.5)
    with pytest.raises(BadRequest) as too_late:
        await bot.answer_pre_checkout_query(query, ok=True)
    assert too_late.value.message == TOO_OLD
    query = await peer.user_checks_out(FAN, invoice)
    with pytest.raises(BadRequest) as no_reason:
        await bot.answer_pre_checkout_query(query, ok=False)
    assert no_reason.value.message == "Error_message is required when ok is false"
    assert not await peer.user_pays(FAN, invoice, within=0.5)  # nobody answers: no charge


async def test_a_stars_invoice_is_xtr_with_one_price_and_no_provider_token(bot):
    with pytest.raises(BadRequest) as refused:
        await bot.send_invoice(
            FAN, "Print", "A print", "hold:1", "EUR", [LabeledPrice("Print", 2500)], "tok"
        )
    assert refused.value.message == "Stars_invoice_invalid"
    assert await bot.send_invoice(
        FAN, "Zine", "A zine", "hold:2", "XTR", [LabeledPrice("Zine", 90)], provider_token=""
    )


async def test_a_stars_charge_refunds_once(peer, bot):
    assert await bot.refund_star_payment(FAN, "stxCharge1")
    with pytest.raises(BadRequest) as again:
        await bot.refund_star_payment(FAN, "stxCharge1")
    assert again.value.message == "Charge_already_refunded"


async def test_star_transactions_come_oldest_first_and_a_limit_outside_1_to_100_is_clamped(
    peer, bot
):
    """Telegram does not refuse such a limit (nor a negative offset): the Bot API server
    brings it into range, as the peer's getStarTransactions notes."""
    for n in range(101):
        peer.payment_message(FAN, Invoice(FAN, n, "Zine", f"hold:{n}", "XTR", 90), f"stx{n}")
        advance(peer, 1)
    assert [t.id for t in (await bot.get_star_transactions(limit=0)).transactions] == ["stx0"]
    assert len((await bot.get_star_transactions(limit=500)).transactions) == 100
    assert len((await bot.get_star_transactions()).transactions) == 100
    first = (await bot.get_star_transactions(offset=-5, limit=1)).transactions
    assert [t.id for t in first] == ["stx0"]
    older, newest = (await bot.get_star_transactions(offset=99)).transactions
    assert (older.id, newest.id) == ("stx99", "stx100")
    assert older.date < newest.date


async def test_a_stars_refund_is_a_transaction_of_its_own_under_the_payments_id(peer, bot):
    invoice = Invoice(FAN, 1, "Zine", "hold:1", "XTR", 90)
    for _ in range(2):  # Telegram showing the payment again moves no more Stars
        peer.payment_message(FAN, invoice, "stxZine")
    await bot.refund_star_payment(FAN, "stxZine")
    paid, refund = (await bot.get_star_transactions()).transactions
    assert (paid.id, paid.amount, refund.id, refund.amount) == ("stxZine", 90, "stxZine", 90)
    assert isinstance(paid.source, TransactionPartnerUser)
    assert (paid.source.user.id, paid.source.invoice_payload) == (FAN, "hold:1")
    assert paid.receiver is None
    assert refund.source is None
    assert isinstance(refund.receiver, TransactionPartnerUser)
    assert refund.receiver.transaction_type == "invoice_payment"


async def test_banning_someone_never_in_the_chat_is_refused_as_telegram_does(peer, bot):
    with pytest.raises(BadRequest) as unknown:
        await bot.ban_chat_member(SUPERGROUP, FAN)
    assert unknown.value.message == "Participant_id_invalid"
    with pytest.raises(BadRequest) as unknown_unban:
        await bot.unban_chat_member(SUPERGROUP, FAN, only_if_banned=True)
    assert unknown_unban.value.message == "Participant_id_invalid"
    peer.members[BASIC_GROUP] = {FAN}
    peer.user_leaves(BASIC_GROUP, FAN)
    with pytest.raises(BadRequest) as gone:
        await bot.ban_chat_member(BASIC_GROUP, FAN)
    assert gone.value.message == "User_not_participant"


async def test_an_invite_links_member_limit_counts_members_at_once_not_uses(peer, bot):
    link = (await bot.create_chat_invite_link(SUPERGROUP, member_limit=1)).invite_link
    assert peer.user_joins(FAN, link)
    assert not peer.user_joins(OTHER, link)  # one member by this link is inside
    peer.user_leaves(SUPERGROUP, FAN)
    assert peer.user_joins(OTHER, link)  # the seat is free again


@pytest.mark.parametrize("member_limit", [0, 100_000])
async def test_an_invite_links_member_limit_is_1_to_99999(bot, member_limit):
    with pytest.raises(BadRequest) as refused:
        await bot.create_chat_invite_link(SUPERGROUP, member_limit=member_limit)
    assert refused.value.message == "Usage_limit_invalid"


async def test_an_invite_link_expires_and_cannot_be_made_expired(peer, bot):
    now = ManualClock().now()
    with pytest.raises(BadRequest) as refused:
        await bot.create_chat_invite_link(SUPERGROUP, expire_date=now - timedelta(minutes=1))
    assert refused.value.message == "Expire_date_invalid"
    link = await bot.create_chat_invite_link(SUPERGROUP, expire_date=now + timedelta(hours=1))
    advance(peer, 3601)
    assert not peer.user_joins(FAN, link.invite_link)


async def test_a_private_chat_takes_a_short_burst_then_one_message_a_second(peer, bot):
    for n in range(peer.chat_burst):
        await bot.send_message(FAN, f"message {n}")
    with pytest.raises(RetryAfter) as slow_down:
        await bot.send_message(FAN, "one too many")
    assert slow_down.value.retry_after == timedelta(seconds=1)
    tick(peer, 1)
    await bot.send_message(FAN, "in time")
    with pytest.raises(RetryAfter):
        await bot.send_message(FAN, "the burst is spent: one a second now")
    assert await bot.send_message(OTHER, "another chat is not held up")


async def test_a_group_takes_20_messages_a_minute(peer, bot):
    for n in range(20):
        await bot.send_message(SUPERGROUP, f"post {n}")
        tick(peer, 1)
    with pytest.raises(RetryAfter) as slow_down:
        await bot.send_message(SUPERGROUP, "one too many")
    assert slow_down.value.retry_after == timedelta(seconds=40)
    tick(peer, 40)
    await bot.send_message(SUPERGROUP, "the first post left the minute")


async def test_the_bot_sends_about_30_messages_a_second_in_all_and_says_so_on_the_wire(peer):
    async with ClientSession() as http:

        async def send(chat_id: int) -> tuple[int, Any]:
            url = f"{peer.base_url}{peer.token}/sendMessage"
            async with http.post(url, json={"chat_id": chat_id, "text": "hi"}) as answer:
                return answer.status, await answer.json()

        for fan in range(1, 31):
            assert (await send(fan))[0] == 200
        assert await send(31) == (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1},
            },
        )
    assert peer.too_many == 1


async def test_a_channel_post_has_no_sender_but_the_channel(peer, bot):
    await peer.channel_posts(-100500, "/drops")
    [update] = await bot.get_updates()
    assert update.channel_post is not None
    assert update.effective_user is None
    assert update.channel_post.sender_chat is not None
    assert update.channel_post.sender_chat.type == "channel"


async def test_refunds_and_star_subscriptions_arrive_as_telegram_sends_them(peer, bot):
    invoice = Invoice(FAN, 1, "Club", "hold:1", "XTR", 300)
    renewal = peer.payment_message(
        FAN,
        invoice,
        "stxRenewal",
        subscription_expiration_date=int(peer.now()) + 30 * 86400,
        is_recurring=True,
        is_first_recurring=False,
    )
    await peer.deliver({"message": renewal})
    await peer.payment_refunded(FAN, invoice, "stxRenewal")
    paid, refunded = (u.effective_message for u in await bot.get_updates())
    assert paid is not None
    assert paid.successful_payment is not None
    assert paid.successful_payment.is_recurring is True
    assert paid.successful_payment.subscription_expiration_date is not None
    assert refunded is not None
    assert refunded.refunded_payment is not None
    assert refunded.refunded_payment.telegram_payment_charge_id == "stxRenewal"
    assert refunded.from_user is not None
    assert refunded.from_user.id == FAN


async def test_a_webhook_that_does_not_answer_2xx_gets_the_update_again(peer, bot):
    received: list[dict[str, Any]] = []

    async def flaky(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(status=500 if len(received) == 1 else 200)

    app = web.Application()
    app.router.add_post("/hook", flaky)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        await peer.user_sends(FAN, "/help")
    finally:
        await runner.cleanup()
    assert [update["update_id"] for update in received] == [received[0]["update_id"]] * 2
    assert Update.de_json(received[1], bot).effective_message.text == "/help"  # type: ignore[union-attr]


# our adapters against Telegram's refusals --------------------------------------------------


@pytest.mark.parametrize(
    "description",
    [
        "Bad Request: PARTICIPANT_ID_INVALID",
        "Bad Request: USER_NOT_PARTICIPANT",
        "Bad Request: user not found",
    ],
)
async def test_taking_a_perk_from_a_fan_who_is_not_in_the_chat_is_done_not_retried(
    db, peer, description
):
    fan_id = await fan_for(Platform.TELEGRAM, str(FAN), "Fan")
    perk = PerkRef(1, "Backstage", "telegram", str(SUPERGROUP), str(SUPERGROUP))
    peer.fail_next("banChatMember", 400, description)
    async with ExtBot(peer.token, base_url=peer.base_url) as bot:
        await TelegramPerks(bot, ManualClock()).revoke(fan_id, perk, access="")
    assert peer.unbans == []  # nobody was removed, so nobody needs letting back


async def test_taking_a_perk_from_a_fan_who_left_a_basic_group_is_done(db, peer):
    fan_id = await fan_for(Platform.TELEGRAM, str(FAN), "Fan")
    perk = PerkRef(1, "Backstage", "telegram", str(BASIC_GROUP), str(BASIC_GROUP))
    clock = ManualClock()
    async with ExtBot(peer.token, base_url=peer.base_url) as bot:
        perks = TelegramPerks(bot, clock)
        link = await perks.grant(fan_id, perk)
        assert peer.user_joins(FAN, link)
        peer.user_leaves(BASIC_GROUP, FAN)
        await perks.revoke(fan_id, perk, link)
    assert peer.invite_links[link]["is_revoked"]


async def test_the_bots_rights_in_a_chat_are_telegrams_shapes_channels_with_posting(peer, bot):
    peer.chats[-1001] = "channel"
    peer.bot_rights[-1001] = {"can_post_messages": True}
    peer.chats[-1002] = "supergroup"  # added without admin rights
    channel = await bot.get_chat_member(-1001, bot.id)
    assert isinstance(channel, ChatMemberAdministrator)
    assert (channel.can_post_messages, channel.can_edit_messages) == (True, False)
    group = await bot.get_chat_member(SUPERGROUP, bot.id)
    assert isinstance(group, ChatMemberAdministrator)
    assert group.can_post_messages is None  # "for channels only"
    assert (await bot.get_chat_member(-1002, bot.id)).status == "member"
    with pytest.raises(BadRequest) as refused:
        await bot.get_chat_member(-1003, bot.id)
    assert refused.value.message == "Chat not found"


async def subscription_link(
    bot: Bot, stars: int = 250, currency: str = "XTR", period: int = 2_592_000
) -> str:
    return await bot.create_invoice_link(
        "Club", "Monthly club", "plan:1:1", currency, [LabeledPrice("Club", stars)],
        provider_token="", subscription_period=period,
    )  # fmt: skip


async def subscribed(peer: TelegramBotApi, bot: Bot, url: str) -> str:
    """A fan pays the link; the test answers the pre-checkout query as the bot would."""
    paying = asyncio.ensure_future(peer.user_subscribes(FAN, url))
    update = await peer.wait_for(lambda: peer._updates and peer._updates[-1])
    await bot.answer_pre_checkout_query(update["pre_checkout_query"]["id"], ok=True)
    charge = await paying
    assert charge is not None
    return charge


@pytest.mark.parametrize(
    ("wrong", "text"),
    [
        ({"period": 86_400}, "Subscription_period_invalid"),
        ({"stars": 10_001}, "Stars_invoice_invalid"),
        ({"currency": "EUR"}, "Stars_invoice_invalid"),
    ],
)
async def test_a_subscription_link_is_30_days_in_stars_of_at_most_10000(bot, wrong, text):
    with pytest.raises(BadRequest) as refused:
        await subscription_link(bot, **wrong)
    assert refused.value.message == text
    assert (await subscription_link(bot, 10_000)).startswith("https://t.me/$")


async def test_an_invoice_links_payload_is_at_most_128_bytes(bot):
    with pytest.raises(BadRequest) as long_payload:
        await bot.create_invoice_link("Club", "Club", "x" * 129, "XTR", [LabeledPrice("C", 1)])
    assert long_payload.value.message == "Invoice_payload_invalid"


async def test_a_star_subscription_renews_every_30_days_until_the_bot_cancels_it(peer, bot):
    charge = await subscribed(peer, bot, await subscription_link(bot))
    first = [u for u in await bot.get_updates() if u.message][-1].message
    assert first is not None
    paid = first.successful_payment
    assert paid is not None
    assert (paid.is_recurring, paid.is_first_recurring) == (True, True)
    assert paid.subscription_expiration_date == first.date + timedelta(days=30)
    assert await peer.renew_due() == []  # not yet due
    advance(peer, 30 * 86400)
    [renewal] = await peer.renew_due()
    renewed = [u for u in await bot.get_updates() if u.message][-1].message
    assert renewed is not None
    assert renewed.successful_payment is not None
    assert renewed.successful_payment.is_first_recurring is False
    assert renewed.successful_payment.telegram_payment_charge_id == renewal
    listed = (await bot.get_star_transactions()).transactions
    assert [t.id for t in listed] == [charge, renewal]
    assert isinstance(listed[1].source, TransactionPartnerUser)
    assert listed[1].source.subscription_period == timedelta(days=30)

    with pytest.raises(BadRequest) as unknown:
        await bot.edit_user_star_subscription(FAN, renewal, True)  # not the first charge
    assert unknown.value.message == "Charge_id_invalid"
    with pytest.raises(BadRequest) as not_theirs:
        await bot.edit_user_star_subscription(OTHER, charge, True)
    assert not_theirs.value.message == "Charge_id_invalid"
    assert await bot.edit_user_star_subscription(FAN, charge, True)
    advance(peer, 30 * 86400)
    assert await peer.renew_due() == []  # cancelled: over at the end of the period
    assert await bot.edit_user_star_subscription(FAN, charge, False)
    assert len(await peer.renew_due()) == 1  # re-enabled: charged again
