"""A fake Telegram Bot API on loopback that python-telegram-bot talks to over real HTTP.

It answers in the Bot API's envelope (`{"ok": true, "result": …}` or `{"ok": false,
"error_code": …, "description": …}`), hands out updates by `getUpdates` long polling (or
POSTs them to a webhook with the secret token header, again until it is taken), records what
the bot sent, and is as strict as Telegram: each rule it keeps names its source beside it
and has a test in tests/integration/test_telegram_peer.py. Descriptions are sent exactly as
Telegram words them, so tests see what python-telegram-bot makes of them.

Tests act as fans and creators through `user_sends`, `user_taps`, `user_pays` and friends.
Two clocks: `now` is Telegram's calendar (message dates, invite expiry, answer deadlines),
which a test may tie to its `ManualClock`; flood limits are counted on `ticks`, real time by
default, because the bot paces itself in real time.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, web

from tests.eventually import eventually
from tests.peers.telegram_html import EntitiesError, parse_html

TOKEN = "123456:TEST-token-for-the-fake-bot-api"
BOT = {"id": 123456, "is_bot": True, "first_name": "Dropcast", "username": "dropcast_bot"}
# parameters that are text even when they look like JSON numbers
TEXT_PARAMETERS = {
    "text", "caption", "title", "description", "payload", "currency", "provider_token",
    "callback_query_id", "pre_checkout_query_id", "error_message", "url", "name",
    "telegram_payment_charge_id", "secret_token", "parse_mode", "start_parameter",
    "invite_link",
}  # fmt: skip
# core.telegram.org/bots/api#sendmessage: text "1-4096 characters after entities parsing"
MAX_TEXT = 4096
# core.telegram.org/bots/api#senddocument: caption "0-1024 characters after entities parsing"
MAX_CAPTION = 1024
# core.telegram.org/bots/api#inlinekeyboardbutton: callback_data "1-64 bytes"
MAX_CALLBACK_DATA = 64
# core.telegram.org/bots/api#answercallbackquery leaves the deadline out; clients give up
# and Telegram refuses the answer about 15 s after the tap (known behaviour, undocumented)
CALLBACK_ANSWER_SECONDS = 15
# core.telegram.org/bots/api#answerprecheckoutquery: "the Bot API must receive an answer
# within 10 seconds after the pre-checkout query was sent"
CHECKOUT_ANSWER_SECONDS = 10
# what Telegram answers for a late, repeated or unknown query id, callback or pre-checkout
# alike (the docs do not quote it; this is the text the Bot API sends)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup"
    " are exactly the same as a current content and reply markup of the message"
)
# core.telegram.org/bots/api#createchatinvitelink: member_limit "1-99999"
MEMBER_LIMITS = range(1, 100_000)
# core.telegram.org/bots/api#setwebhook: "In case of an unsuccessful request (a request
# with response HTTP status code different from 2XY), we will repeat the request and give
# up after a reasonable amount of attempts" (how many and how far apart is unpublished)
WEBHOOK_ATTEMPTS = 3
# core.telegram.org/bots/api#createinvoicelink: subscription_period "Currently, it must always
# be 2592000 (30 days) if specified", the currency "must be set to XTR", and the price "must
# not exceed 10000 Telegram Stars"; title 1-32 characters, description 1-255, payload 1-128
# bytes. The refusals' texts are inferred from MTProto's errors (core.telegram.org/api/errors:
# SUBSCRIPTION_PERIOD_INVALID, STARS_INVOICE_INVALID, INVOICE_PAYLOAD_INVALID); the docs quote
# none of them
SUBSCRIPTION_PERIOD = 2_592_000
MAX_SUBSCRIPTION_STARS = 10_000
# editUserStarSubscription for a charge that began no subscription of this user: the text is
# inferred (MTProto's payments.botCancelStarsSubscription answers CHARGE_ID_INVALID)
CHARGE_ID_INVALID = "Bad Request: CHARGE_ID_INVALID"


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


@dataclass
class Sent:
    """A message the bot sent (and its latest text, after edits)."""

    chat_id: int
    message_id: int
    text: str
    reply_markup: dict[str, Any] | None = None
    edits: int = 0
    document: tuple[str, bytes] | None = None  # (file name, content) of a sent file
    struck: tuple[str, ...] = ()  # what `text` shows struck through (parse_mode HTML)

    def buttons(self) -> list[dict[str, Any]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    def button(self, label_part: str) -> dict[str, Any]:
        return next(b for b in self.buttons() if label_part in b["text"])


@dataclass
class Invoice:
    chat_id: int
    message_id: int
    title: str
    payload: str
    currency: str
    amount: int
    description: str = ""


@dataclass
class InvoiceLink:
    """A link made by createInvoiceLink; any user may open and pay it."""

    url: str
    title: str
    payload: str
    amount: int
    subscription_period: int | None = None


@dataclass
class StarSubscription:
    """A user's Star subscription to the bot, named by its first charge: renewed by Telegram
    every period until cancelled (by the bot, `editUserStarSubscription`)."""

    charge_id: str
    user_id: int
    link: InvoiceLink
    until: int  # the end of the period paid for
    canceled: bool = False
    charges: list[str] = field(default_factory=list)  # every charge, the first one first


@dataclass
class TelegramBotApi:
    token: str = TOKEN
    sent: list[Sent] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    invoice_links: dict[str, InvoiceLink] = field(default_factory=dict)
    subscriptions: dict[str, StarSubscription] = field(default_factory=dict)  # by first charge
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # callback queries
    checkout_answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    # seconds from a query to its answer, for a benchmark to read after the fact (waiting
    # on each answer would cost the peer more than the bot it measures)
    answered_after: dict[str, float] = field(default_factory=dict)
    refunds: list[tuple[int, str]] = field(default_factory=list)
    # the bot's Star transactions as getStarTransactions lists them, oldest first
    star_transactions: list[dict[str, Any]] = field(default_factory=list)
    invite_links: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[int, set[int]] = field(default_factory=dict)  # chat id → user ids
    bans: list[tuple[int, int]] = field(default_factory=list)
    unbans: list[tuple[int, int]] = field(default_factory=list)
    bot_rights: dict[int, dict[str, bool]] = field(default_factory=dict)  # chats it administers
    # groups and channels the bot is in, by type; a private chat is any positive id
    chats: dict[int, str] = field(default_factory=dict)
    now: Callable[[], float] = time.time  # Telegram's calendar (a test's clock, if it likes)
    ticks: Callable[[], float] = time.monotonic  # what flood limits are counted on
    blocked: set[int] = field(default_factory=set)
    commands: list[dict[str, Any]] = field(default_factory=list)
    failures: dict[str, ApiError] = field(default_factory=dict)
    webhook: dict[str, str] | None = None
    # core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this: "avoid
    # sending more than one message per second" in a chat, though "we may allow short
    # bursts" (their size is unpublished: this peer lets `chat_burst` come early, enough
    # for a brisk conversation, not for a broadcast to one chat); "not able to send
    # more than 20 messages per minute" in a group; "not more than 30 messages per second
    # or so" in all. Beyond them a send answers 429 with retry_after (a benchmark may scale
    # the overall limit up so a run is short)
    overall_per_second: float = 30
    chat_per_second: float = 1
    chat_burst: int = 10
    group_per_minute: int = 20
    too_many: int = 0  # 429s answered
    _sends: dict[int | None, collections.deque[float]] = field(
        default_factory=lambda: collections.defaultdict(collections.deque)
    )  # send times per group, and of all chats under None
    _paced: dict[int, float] = field(default_factory=dict)  # private chat → next message due
    _queries: dict[str, float] = field(default_factory=dict)  # open query id → asked at
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _posted: asyncio.Condition = field(default_factory=asyncio.Condition)
    _runner: web.AppRunner | None = None
    url: str = ""

    async def __aenter__(self) -> TelegramBotApi:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._call)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        """What PTB's `base_url` should be: it appends the token and the method."""
        return f"{self.url}/bot"

    # what tests do as people -------------------------------------------------------------

    def user(self, user_id: int, name: str = "Fan") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "en"}

    async def user_sends(
        self, user_id: int, text: str, *, name: str = "Fan", in_group: int | None = None
    ) -> None:
        """A message from a user, in their private chat with the bot or in a group (which
        the bot is then in); a leading /command is marked as one."""
        chat: dict[str, Any] = {"id": user_id, "type": "private", "first_name": name}
        if in_group is not None:
            self.chats.setdefault(in_group, "supergroup")
            chat = self._chat_json(in_group)
        await self._push(
            {"message": self._incoming(chat, text, {"from": self.user(user_id, name)})}
        )

    async def channel_posts(self, channel_id: int, text: str) -> None:
        """A post in a channel the bot is in: sent by the channel, not by a person."""
        # core.telegram.org/bots/api#message: `from` is "empty for messages sent to
        # channels"; `sender_chat` is the channel itself
        self.chats[channel_id] = "channel"
        chat = self._chat_json(channel_id)
        await self._push({"channel_post": self._incoming(chat, text, {"sender_chat": chat})})

    async def user_taps(self, user_id: int, message: Sent, data: str, *, name: str = "Fan") -> str:
        """A tap on one of the bot's inline buttons; returns the callback query id."""
        query_id = f"cq{next(self._ids)}"
        self._queries[query_id] = self.now()
        await self._push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.user(user_id, name),
                    "chat_instance": str(message.chat_id),
                    "data": data,
                    "message": self._message_json(message),
                }
            }
        )
        return query_id

    async def user_checks_out(self, user_id: int, invoice: Invoice) -> str:
        """Pay in Telegram's checkout: the pre-checkout query the bot must answer in time."""
        query_id = f"pcq{next(self._ids)}"
        self._queries[query_id] = self.now()
        await self._push(
            {
                "pre_checkout_query": {
                    "id": query_id,
                    "from": self.user(user_id),
                    "currency": invoice.currency,
                    "total_amount": invoice.amount,
                    "invoice_payload": invoice.payload,
                }
            }
        )
        return query_id

    async def user_pays(
        self, user_id: int, invoice: Invoice, *, within: float = 10.0, update_lost: bool = False
    ) -> bool:
        """Telegram's Stars checkout: a pre-checkout query, then (only if the bot said ok in
        time) the successful payment. Returns whether the fan was charged. With
        `update_lost`, the Stars move but the bot never handles the update (it crashed right
        after taking it): only getStarTransactions shows the payment."""
        query_id = await self.user_checks_out(user_id, invoice)
        with contextlib.suppress(TimeoutError):
            await self.wait_for(lambda: self.checkout_answers.get(query_id), seconds=within)
        if not self.checkout_answers.get(query_id, {}).get("ok"):
            return False
        message = self.payment_message(user_id, invoice)
        if not update_lost:
            await self._push({"message": message})
        return True

    async def user_subscribes(
        self, user_id: int, url: str, *, within: float = 10.0, update_lost: bool = False
    ) -> str | None:
        """Open a subscription's invoice link and pay: a pre-checkout query, then (only if the
        bot said ok in time) the first charge. Returns the charge id, None if not charged."""
        link = self.invoice_links[url]
        assert link.subscription_period is not None, "not a subscription's link"
        invoice = Invoice(user_id, 0, link.title, link.payload, "XTR", link.amount)
        query_id = await self.user_checks_out(user_id, invoice)
        with contextlib.suppress(TimeoutError):
            await self.wait_for(lambda: self.checkout_answers.get(query_id), seconds=within)
        if not self.checkout_answers.get(query_id, {}).get("ok"):
            return None
        charge = f"stxSub{next(self._ids)}"
        until = int(self.now()) + link.subscription_period
        subscription = StarSubscription(charge, user_id, link, until, charges=[charge])
        self.subscriptions[charge] = subscription
        await self._charged(subscription, charge, first=True, update_lost=update_lost)
        return charge

    async def renew_due(self, *, update_lost: bool = False) -> list[str]:
        """Telegram's own billing, run at `now`: each subscription whose period is over is
        charged again for the next (as often as periods passed), unless the bot cancelled it,
        which then ends. Returns the new charge ids."""
        # core.telegram.org/bots/api#successfulpayment: a renewal is a payment with
        # is_recurring and not is_first_recurring; editUserStarSubscription's is_canceled
        # keeps the subscription "active up to the end of the current subscription period"
        renewed = []
        for subscription in list(self.subscriptions.values()):
            period = subscription.link.subscription_period or SUBSCRIPTION_PERIOD
            while not subscription.canceled and subscription.until <= self.now():
                charge = f"stxSub{next(self._ids)}"
                subscription.until += period
                subscription.charges.append(charge)
                await self._charged(subscription, charge, first=False, update_lost=update_lost)
                renewed.append(charge)
        return renewed

    async def _charged(
        self, subscription: StarSubscription, charge: str, *, first: bool, update_lost: bool
    ) -> None:
        link = subscription.link
        invoice = Invoice(subscription.user_id, 0, link.title, link.payload, "XTR", link.amount)
        message = self.payment_message(
            subscription.user_id,
            invoice,
            charge,
            subscription_expiration_date=subscription.until,
            is_recurring=True,
            is_first_recurring=first,
        )
        if not update_lost:
            await self._push({"message": message})

    def payment_message(
        self, user_id: int, invoice: Invoice, charge: str = "", **subscription: Any
    ) -> dict[str, Any]:
        """The service message Telegram sends once Stars moved (resendable, as Telegram may),
        with a Star subscription's fields when a test passes them."""
        # core.telegram.org/bots/api#successfulpayment: a subscription's payment carries
        # subscription_expiration_date, is_recurring and is_first_recurring
        paid = {
            "currency": invoice.currency,
            "total_amount": invoice.amount,
            "invoice_payload": invoice.payload,
            "telegram_payment_charge_id": charge or _charge_of(invoice),
            "provider_payment_charge_id": "",
            **subscription,
        }
        charge = paid["telegram_payment_charge_id"]
        period = SUBSCRIPTION_PERIOD if subscription.get("is_recurring") else None
        self._stars_moved("source", user_id, charge, invoice.amount, invoice.payload, period)
        chat = {"id": user_id, "type": "private"}
        return self._incoming(chat, None, {"from": self.user(user_id), "successful_payment": paid})

    async def payment_refunded(self, user_id: int, invoice: Invoice, charge: str = "") -> None:
        """Telegram gave the Stars back without the bot asking (support, a dispute)."""
        # core.telegram.org/bots/api#message: refunded_payment, "a service message about a
        # refunded payment"
        charge = charge or _charge_of(invoice)
        self.refunds.append((user_id, charge))
        self._stars_moved("receiver", user_id, charge, invoice.amount, invoice.payload)
        refunded = {
            "currency": invoice.currency,
            "total_amount": invoice.amount,
            "invoice_payload": invoice.payload,
            "telegram_payment_charge_id": charge,
        }
        chat = {"id": user_id, "type": "private"}
        extra = {"from": self.user(user_id), "refunded_payment": refunded}
        await self._push({"message": self._incoming(chat, None, extra)})

    def user_joins(self, user_id: int, link: str) -> bool:
        """Follow an invite link: never after it expires or is revoked, never for someone
        banned and not unbanned since, and only while fewer than its member_limit of those
        who joined by it are still members (a seat, not a use: a member who leaves frees it)."""
        # core.telegram.org/bots/api#chatinvitelink: member_limit is the "maximum number of
        # users that can be members of the chat simultaneously after joining the chat via
        # this invite link"
        invite = self.invite_links.get(link)
        if invite is None or invite["is_revoked"]:
            return False
        chat, limit, expires = invite["chat_id"], invite["member_limit"], invite["expire_date"]
        inside = invite["joined"] & self.members.get(chat, set())
        if (limit and len(inside) >= limit) or (expires and int(expires) < self.now()):
            return False
        if self.bans.count((chat, user_id)) > self.unbans.count((chat, user_id)):
            return False
        invite["joined"].add(user_id)
        self.members.setdefault(chat, set()).add(user_id)
        return True

    def admin_deletes(self, message: Sent) -> None:
        """Someone in the chat deleted one of the bot's messages: it is no longer there to edit."""
        self.sent.remove(message)

    def user_leaves(self, chat_id: int, user_id: int) -> None:
        self.members.get(chat_id, set()).discard(user_id)

    async def deliver(self, update: dict[str, Any]) -> None:
        await self._push(update)

    async def wait_for(self, probe: Any, *, seconds: float = 5.0) -> Any:
        """Wait until `probe()` is truthy (the bot has answered), and return it."""
        return await eventually(probe, seconds=seconds)

    def to(self, chat_id: int) -> list[Sent]:
        return [message for message in self.sent if message.chat_id == chat_id]

    def fail_next(self, method: str, code: int, description: str, retry_after: int = 0) -> None:
        self.failures[method] = ApiError(code, description, retry_after or None)

    # the API ----------------------------------------------------------------------------

    async def _call(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(ApiError(404, "Not Found"))
        try:
            if (failure := self.failures.pop(method, None)) is not None:
                raise failure
            result = await handler(await _parameters(request))
        except ApiError as error:
            return _error(error)
        return web.json_response({"ok": True, "result": result})

    async def _api_getMe(self, _: dict[str, Any]) -> dict[str, Any]:
        return BOT

    async def _api_getUpdates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(p.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and float(p.get("timeout") or 0) > 0:
            async with self._posted:
                waiting = self._posted.wait_for(lambda: bool(self._updates))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiting, float(p["timeout"]))
        return list(self._updates)

    async def _api_setWebhook(self, p: dict[str, Any]) -> bool:
        self.webhook = {"url": p["url"], "secret_token": p.get("secret_token", "")}
        return True

    async def _api_deleteWebhook(self, _: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    async def _api_setMyCommands(self, p: dict[str, Any]) -> bool:
        self.commands = p["commands"]
        return True

    async def _api_sendMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._reachable(p["chat_id"])
        text, struck = _formatted(_text(p.get("text")), p.get("parse_mode"))
        markup = _keyboard(p.get("reply_markup"))
        self._within_flood_limits(chat_id)
        message = Sent(chat_id, self._message_id(), text, markup, struck=struck)
        self.sent.append(message)
        return self._message_json(message)

    async def _api_sendDocument(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._reachable(p["chat_id"])
        document = p.get("document")
        if not isinstance(document, tuple):
            raise ApiError(400, "Bad Request: there is no document in the request")
        caption = str(p.get("caption", ""))
        if len(caption) > MAX_CAPTION:
            raise ApiError(400, "Bad Request: message caption is too long")
        markup = _keyboard(p.get("reply_markup"))
        self._within_flood_limits(chat_id)
        message = Sent(chat_id, self._message_id(), caption, markup, 0, document)
        self.sent.append(message)
        return self._message_json(message)

    async def _api_editMessageText(self, p: dict[str, Any]) -> dict[str, Any]:
        message = self._find(p)
        text, markup = _text(p.get("text")), _keyboard(p.get("reply_markup"))
        # core.telegram.org/bots/api#editmessagetext: an edit that changes nothing is
        # refused with this text (the docs do not quote it; the Bot API sends it)
        if message.text == text and message.reply_markup == markup:
            raise ApiError(400, NOT_MODIFIED)
        message.text, message.reply_markup = text, markup
        message.edits += 1
        return self._message_json(message)

    async def _api_editMessageReplyMarkup(self, p: dict[str, Any]) -> dict[str, Any]:
        message = self._find(p)
        markup = _keyboard(p.get("reply_markup"))
        if message.reply_markup == markup:
            raise ApiError(400, NOT_MODIFIED)
        message.reply_markup = markup
        return self._message_json(message)

    async def _api_answerCallbackQuery(self, p: dict[str, Any]) -> bool:
        self._answered_in_time(str(p["callback_query_id"]), CALLBACK_ANSWER_SECONDS)
        self.answers[p["callback_query_id"]] = p
        return True

    async def _api_sendInvoice(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._reachable(p["chat_id"])
        # core.telegram.org/bots/api#sendinvoice: for Telegram Stars, provider_token is
        # empty, currency "XTR" and prices "must contain exactly one item"; Telegram's
        # refusal names the MTProto error (core.telegram.org/api/errors: STARS_INVOICE_INVALID)
        if p.get("currency") != "XTR" or p.get("provider_token") or len(p["prices"]) != 1:
            raise ApiError(400, "Bad Request: STARS_INVOICE_INVALID")
        self._within_flood_limits(chat_id)
        message = Sent(chat_id, self._message_id(), f"invoice: {p['title']}")
        self.sent.append(message)
        amount = int(p["prices"][0]["amount"])
        self.invoices.append(
            Invoice(chat_id, message.message_id, p["title"], p["payload"], "XTR", amount,
                    p.get("description", ""))
        )  # fmt: skip
        return self._message_json(message)

    async def _api_answerPreCheckoutQuery(self, p: dict[str, Any]) -> bool:
        # core.telegram.org/bots/api#answerprecheckoutquery: error_message is "Required if
        # ok is False" (the refusal's wording is this peer's own: no source quotes Telegram's)
        if not p["ok"] and not p.get("error_message"):
            raise ApiError(400, "Bad Request: error_message is required when ok is false")
        self._answered_in_time(str(p["pre_checkout_query_id"]), CHECKOUT_ANSWER_SECONDS)
        self.checkout_answers[p["pre_checkout_query_id"]] = p
        return True

    async def _api_refundStarPayment(self, p: dict[str, Any]) -> bool:
        # core.telegram.org/bots/api#refundstarpayment; a charge refunded already is
        # refused with the MTProto error's name (core.telegram.org/api/errors)
        refund = (int(p["user_id"]), str(p["telegram_payment_charge_id"]))
        if refund in self.refunds:
            raise ApiError(400, "Bad Request: CHARGE_ALREADY_REFUNDED")
        self.refunds.append(refund)
        # a charge this peer never saw paid (tests refund made-up ones) has nothing to list
        if (paid := self._star_transaction(refund[1], "source")) is not None:
            payload = paid["source"]["invoice_payload"]
            self._stars_moved("receiver", *refund, paid["amount"], payload)
        return True

    async def _api_createInvoiceLink(self, p: dict[str, Any]) -> str:
        # the rules are beside SUBSCRIPTION_PERIOD; a Stars invoice's as for sendInvoice
        if not 1 <= len(str(p.get("title", ""))) <= 32:
            raise ApiError(400, "Bad Request: INVOICE_TITLE_INVALID")
        if not 1 <= len(str(p.get("description", ""))) <= 255:
            raise ApiError(400, "Bad Request: INVOICE_DESCRIPTION_INVALID")
        if not 1 <= len(str(p.get("payload", "")).encode()) <= 128:
            raise ApiError(400, "Bad Request: INVOICE_PAYLOAD_INVALID")
        if p.get("currency") != "XTR" or p.get("provider_token") or len(p["prices"]) != 1:
            raise ApiError(400, "Bad Request: STARS_INVOICE_INVALID")
        amount = int(p["prices"][0]["amount"])
        period = p.get("subscription_period")
        if period is not None:
            if int(period) != SUBSCRIPTION_PERIOD:
                raise ApiError(400, "Bad Request: SUBSCRIPTION_PERIOD_INVALID")
            if amount > MAX_SUBSCRIPTION_STARS:
                raise ApiError(400, "Bad Request: STARS_INVOICE_INVALID")
        url = f"https://t.me/$invoice{next(self._ids)}"
        self.invoice_links[url] = InvoiceLink(
            url, str(p["title"]), str(p["payload"]), amount, None if period is None else int(period)
        )
        return url

    async def _api_editUserStarSubscription(self, p: dict[str, Any]) -> bool:
        # core.telegram.org/bots/api#edituserstarsubscription: is_canceled True stops the
        # renewals ("the subscription must be active up to the end of the current
        # subscription period"), False lets a subscription the bot cancelled renew again
        subscription = self.subscriptions.get(str(p["telegram_payment_charge_id"]))
        if subscription is None or subscription.user_id != int(p["user_id"]):
            raise ApiError(400, CHARGE_ID_INVALID)
        subscription.canceled = bool(p["is_canceled"])
        return True

    async def _api_getStarTransactions(self, p: dict[str, Any]) -> dict[str, Any]:
        # core.telegram.org/bots/api#getstartransactions: the bot's transactions "in
        # chronological order" (oldest first), `offset` the "number of transactions to
        # skip", `limit` "Values between 1-100 are accepted. Defaults to 100". A limit
        # outside 1-100 is not refused: the Bot API server clamps it into the range, and a
        # negative offset to 0 (github.com/tdlib/telegram-bot-api, telegram-bot-api/Client.cpp:
        # process_get_star_transactions_query reads both with get_integer_arg, which clamps)
        offset = max(_number(p, "offset", 0), 0)
        limit = min(max(_number(p, "limit", 100), 1), 100)
        return {"transactions": self.star_transactions[offset : offset + limit]}

    async def _api_createChatInviteLink(self, p: dict[str, Any]) -> dict[str, Any]:
        self._administered(p, "can_invite_users")
        # core.telegram.org/bots/api#createchatinvitelink: member_limit 1-99999; the
        # refusals name the MTProto errors (core.telegram.org/method/messages.exportChatInvite)
        if p.get("member_limit") is not None and int(p["member_limit"]) not in MEMBER_LIMITS:
            raise ApiError(400, "Bad Request: USAGE_LIMIT_INVALID")
        if p.get("expire_date") is not None and int(p["expire_date"]) <= self.now():
            raise ApiError(400, "Bad Request: EXPIRE_DATE_INVALID")
        link = f"https://t.me/+invite{next(self._ids)}"
        self.invite_links[link] = {
            "invite_link": link,
            "creator": BOT,
            "creates_join_request": False,
            "is_primary": False,
            "is_revoked": False,
            "member_limit": p.get("member_limit"),
            "expire_date": p.get("expire_date"),
            "name": p.get("name"),
            "chat_id": int(p["chat_id"]),
            "joined": set(),
        }
        return _invite_json(self.invite_links[link])

    async def _api_revokeChatInviteLink(self, p: dict[str, Any]) -> dict[str, Any]:
        invite = self.invite_links.get(str(p["invite_link"]))
        if invite is None or invite["chat_id"] != int(p["chat_id"]):
            raise ApiError(400, "Bad Request: INVITE_HASH_EXPIRED")
        invite["is_revoked"] = True
        return _invite_json(invite)

    async def _api_getChatMember(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id, user_id = self._reachable(p["chat_id"]), int(p["user_id"])
        if user_id == BOT["id"] and chat_id in self.bot_rights:
            rights = {"can_invite_users": False, "can_restrict_members": False}
            # core.telegram.org/bots/api#chatmemberadministrator: can_post_messages and
            # can_edit_messages are given "for channels only"
            if self._chat_type(chat_id) == "channel":
                rights |= {"can_post_messages": False, "can_edit_messages": False}
            rights.update(self.bot_rights[chat_id])
            return {"status": "administrator", "user": BOT, "can_be_edited": False,
                    "is_anonymous": False, "can_manage_chat": True,
                    "can_delete_messages": False, "can_manage_video_chats": False,
                    "can_promote_members": False, "can_change_info": False,
                    "can_post_stories": False, "can_edit_stories": False,
                    "can_delete_stories": False, **rights}  # fmt: skip
        # a group the bot was added to without admin rights: it is a plain member there
        joined = user_id in self.members.get(chat_id, set())
        status = "member" if joined or (user_id == BOT["id"] and chat_id in self.chats) else "left"
        return {"status": status, "user": BOT if user_id == BOT["id"] else self.user(user_id)}

    async def _api_banChatMember(self, p: dict[str, Any]) -> bool:
        chat_id, user_id = self._administered(p, "can_restrict_members")
        # the refusals name MTProto's errors, passed on by the Bot API: a basic group
        # removes only a member (core.telegram.org/method/messages.deleteChatUser), a
        # supergroup or channel knows no one who was never in it
        # (core.telegram.org/method/channels.editBanned)
        if self._chat_type(chat_id) == "group" and user_id not in self.members.get(chat_id, ()):
            raise ApiError(400, "Bad Request: USER_NOT_PARTICIPANT")
        self._known_participant(chat_id, user_id)
        self.members.setdefault(chat_id, set()).discard(user_id)
        self.bans.append((chat_id, user_id))
        return True

    async def _api_unbanChatMember(self, p: dict[str, Any]) -> bool:
        chat_id, user_id = self._administered(p, "can_restrict_members")
        self._known_participant(chat_id, user_id)
        # core.telegram.org/bots/api#unbanchatmember: without only_if_banned "if the user
        # is a member of the chat they will also be removed from the chat"
        banned = self.bans.count((chat_id, user_id)) > self.unbans.count((chat_id, user_id))
        if not p.get("only_if_banned"):
            self.members.get(chat_id, set()).discard(user_id)
        if banned or not p.get("only_if_banned"):
            self.unbans.append((chat_id, user_id))
        return True

    # plumbing ---------------------------------------------------------------------------

    async def _push(self, update: dict[str, Any]) -> None:
        update = {"update_id": next(self._ids), **update}
        if self.webhook is not None:
            await self._post_to_webhook(update, self.webhook)
            return
        async with self._posted:
            self._updates.append(update)
            self._posted.notify_all()

    async def _post_to_webhook(self, update: dict[str, Any], webhook: dict[str, str]) -> None:
        """POST the update, and again while the answer is not 2xx (WEBHOOK_ATTEMPTS)."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": webhook["secret_token"]}
        async with ClientSession() as http:
            for _ in range(WEBHOOK_ATTEMPTS):
                async with http.post(webhook["url"], json=update, headers=headers) as answer:
                    if 200 <= answer.status < 300:
                        return

    def _reachable(self, chat_id: Any) -> int:
        chat = int(chat_id)
        # core.telegram.org/bots/api#making-requests lists no texts; these are the ones the
        # Bot API sends for a user who blocked the bot (403) and a chat the bot is not in
        if chat in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat < 0 and self._chat_type(chat) is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _within_flood_limits(self, chat_id: int) -> None:
        """The FAQ's limits (see `overall_per_second`): all chats and a group's over sliding
        windows, a private chat as a burst then a steady pace."""
        now = self.ticks()
        waits = [_wait(self._sends[None], math.ceil(self.overall_per_second), 1.0, now)]
        if chat_id < 0:
            waits.append(_wait(self._sends[chat_id], self.group_per_minute, 60.0, now))
        else:
            waits.append(self._paced_wait(chat_id, now))
        if retry_after := max(waits):
            self.too_many += 1
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        self._sends[None].append(now)
        if chat_id < 0:
            self._sends[chat_id].append(now)
        else:
            self._paced[chat_id] = max(self._paced.get(chat_id, now), now) + self._interval

    @property
    def _interval(self) -> float:
        return 1 / self.chat_per_second

    def _paced_wait(self, chat_id: int, now: float) -> int:
        """Whole seconds until a private chat may take one more message: its messages are
        due one `_interval` apart, and up to `chat_burst` may come early."""
        due = max(self._paced.get(chat_id, now), now)
        early = due - now - (self.chat_burst - 1) * self._interval
        return max(1, math.ceil(early)) if early > 0 else 0

    def _stars_moved(
        self,
        side: str,
        user_id: int,
        charge: str,
        amount: int,
        payload: str,
        subscription_period: int | None = None,
    ) -> None:
        """One of the bot's Star transactions: a user's payment has the user as its `source`,
        Stars given back (a refund) as its `receiver`. Telegram showing a payment or a
        refund again moves no Stars."""
        if self._star_transaction(charge, side) is not None:
            return
        # core.telegram.org/bots/api#startransaction: the id "Coincides with the identifier
        # of the original transaction for refund transactions" and with the payment's
        # telegram_payment_charge_id; the user is a TransactionPartnerUser
        # (core.telegram.org/bots/api#transactionpartneruser) whose transaction_type is
        # "invoice_payment" for an invoice's payment
        user: dict[str, Any] = {"type": "user", "transaction_type": "invoice_payment",
                "user": self.user(user_id), "invoice_payload": payload}  # fmt: skip
        if subscription_period is not None:  # "the duration of the paid subscription"
            user["subscription_period"] = subscription_period
        moved = {"id": charge, "amount": amount, "date": int(self.now()), side: user}
        self.star_transactions.append(moved)

    def _star_transaction(self, charge: str, side: str) -> dict[str, Any] | None:
        """The charge's payment (`source`) or refund (`receiver`), if Stars moved for it."""
        found = (t for t in self.star_transactions if t["id"] == charge and side in t)
        return next(found, None)

    def _answered_in_time(self, query_id: str, seconds: int) -> None:
        """A query takes one answer, before its deadline."""
        asked = self._queries.pop(query_id, None)
        if asked is None or self.now() - asked > seconds:
            raise ApiError(400, QUERY_TOO_OLD)
        self.answered_after[query_id] = self.now() - asked

    def _administered(self, p: dict[str, Any], right: str) -> tuple[int, int]:
        chat_id = int(p["chat_id"])
        if not self.bot_rights.get(chat_id, {}).get(right):
            raise ApiError(400, "Bad Request: not enough rights")
        return chat_id, int(p.get("user_id") or 0)

    def _known_participant(self, chat_id: int, user_id: int) -> None:
        """Someone who was never in the chat is unknown to it (see `_api_banChatMember`)."""
        joined = any(
            user_id in invite["joined"]
            for invite in self.invite_links.values()
            if invite["chat_id"] == chat_id
        )
        if not joined and user_id not in self.members.get(chat_id, set()):
            raise ApiError(400, "Bad Request: PARTICIPANT_ID_INVALID")

    def _chat_type(self, chat_id: int) -> str | None:
        if chat_id > 0:
            return "private"
        return self.chats.get(chat_id) or ("supergroup" if chat_id in self.bot_rights else None)

    def _find(self, p: dict[str, Any]) -> Sent:
        for message in self.sent:
            if message.chat_id == int(p["chat_id"]) and message.message_id == int(p["message_id"]):
                return message
        raise ApiError(400, "Bad Request: message to edit not found")

    def _message_id(self) -> int:
        return next(self._ids)

    def _chat_json(self, chat_id: int) -> dict[str, Any]:
        kind = self._chat_type(chat_id) or "private"
        if kind == "private":
            return {"id": chat_id, "type": kind}
        return {"id": chat_id, "type": kind, "title": f"{kind.title()} {chat_id}"}

    def _incoming(
        self, chat: dict[str, Any], text: str | None, extra: dict[str, Any]
    ) -> dict[str, Any]:
        """A message people (or Telegram) sent; a leading /command is marked as one."""
        message: dict[str, Any] = {
            "message_id": self._message_id(),
            "date": int(self.now()),
            "chat": chat,
            **extra,
        }
        if text is not None:
            message["text"] = text
        if text and text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return message

    def _message_json(self, message: Sent) -> dict[str, Any]:
        body: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(self.now()),
            "chat": self._chat_json(message.chat_id),
            "from": BOT,
            "text": message.text,
        }
        if message.reply_markup:
            body["reply_markup"] = message.reply_markup
        return body


def _text(value: Any) -> str:
    """A message text, or Telegram's refusal of it."""
    # core.telegram.org/bots/api#sendmessage: 1-4096 characters; an all-blank text is empty
    text = "" if value is None else str(value)
    if not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if len(text) > MAX_TEXT:
        raise ApiError(400, "Bad Request: message is too long")
    return text


def _formatted(text: str, parse_mode: Any) -> tuple[str, tuple[str, ...]]:
    """The text as the user sees it, and its struck spans, in the message's parse mode
    (HTML only: the bot sends no other)."""
    if parse_mode in (None, ""):
        return text, ()
    if parse_mode != "HTML":
        raise ApiError(400, "Bad Request: unsupported parse_mode")
    try:
        return parse_html(text)
    except EntitiesError as error:
        raise ApiError(400, str(error)) from None


def _keyboard(markup: Any) -> dict[str, Any] | None:
    """An inline keyboard whose callback_data fits (Telegram's text for one that does not)."""
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return dict(markup) if markup else None


def _wait(times: collections.deque[float], limit: int, window: float, now: float) -> int:
    """Whole seconds until one more send fits `limit` in any `window` seconds (0: now)."""
    while times and times[0] <= now - window:
        times.popleft()
    if len(times) < limit:
        return 0
    return max(1, math.ceil(times[0] + window - now))


def _number(p: dict[str, Any], name: str, default: int) -> int:
    """An integer parameter, or its default when it is not sent."""
    value = p.get(name)
    return default if value is None or value == "" else int(value)


def _charge_of(invoice: Invoice) -> str:
    """The charge id of the invoice's payment, when a test does not name one."""
    return f"stxCharge{invoice.message_id}"


def _invite_json(invite: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in invite.items() if k not in ("chat_id", "joined")}


async def _parameters(request: web.Request) -> dict[str, Any]:
    """PTB sends JSON-encoded values in a form; tests and curl may send a JSON body."""
    if request.content_type == "application/json":
        return dict(await request.json())
    form = await request.post()
    values: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, web.FileField):  # a multipart upload, such as sendDocument's
            values[key] = (value.filename, value.file.read())
            continue
        text = str(value)
        if key in TEXT_PARAMETERS:
            values[key] = text
            continue
        try:
            values[key] = json.loads(text)
        except ValueError:
            values[key] = text
    return values


def _error(error: ApiError) -> web.Response:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": error.code,
        "description": error.description,
    }
    if error.retry_after is not None:
        body["parameters"] = {"retry_after": error.retry_after}
    return web.json_response(body, status=error.code)
