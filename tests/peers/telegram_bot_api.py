"""A fake Telegram Bot API on loopback that python-telegram-bot talks to over real HTTP.

It answers in the Bot API's envelope (`{"ok": true, "result": …}` or `{"ok": false,
"error_code": …, "description": …}`), hands out updates by `getUpdates` long polling (or
POSTs them to a webhook with the secret token header), records what the bot sent, and keeps
the platform's rules that shape our code: 403 for a fan who blocked the bot, 429 with
`retry_after`, Stars invoices with an empty provider token, single-use invite links.
Tests act as fans and creators through `user_sends`, `user_taps` and `user_pays`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, web

TOKEN = "123456:TEST-token-for-the-fake-bot-api"
BOT = {"id": 123456, "is_bot": True, "first_name": "Dropcast", "username": "dropcast_bot"}
# parameters that are text even when they look like JSON numbers
TEXT_PARAMETERS = {
    "text", "caption", "title", "description", "payload", "currency", "provider_token",
    "callback_query_id", "pre_checkout_query_id", "error_message", "url", "name",
    "telegram_payment_charge_id", "secret_token", "parse_mode", "start_parameter",
    "invite_link",
}  # fmt: skip


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


@dataclass
class TelegramBotApi:
    token: str = TOKEN
    sent: list[Sent] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # callback queries
    checkout_answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: list[tuple[int, str]] = field(default_factory=list)
    invite_links: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[int, set[int]] = field(default_factory=dict)  # chat id → user ids
    bans: list[tuple[int, int]] = field(default_factory=list)
    unbans: list[tuple[int, int]] = field(default_factory=list)
    bot_rights: dict[int, dict[str, bool]] = field(default_factory=dict)  # chats it administers
    now: Any = time.time  # what invite expiry is checked against (a test's clock)
    blocked: set[int] = field(default_factory=set)
    commands: list[dict[str, Any]] = field(default_factory=list)
    failures: dict[str, ApiError] = field(default_factory=dict)
    webhook: dict[str, str] | None = None
    # Telegram's flood limits, when a test or benchmark sets them: messages a second in all,
    # and to one chat; beyond them sendMessage answers 429 with retry_after
    overall_per_second: float | None = None
    chat_per_second: float | None = None
    too_many: int = 0  # 429s answered
    _recent: collections.deque[float] = field(default_factory=collections.deque)
    _last_to: dict[int, float] = field(default_factory=dict)
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
        """A message from a user, in their private chat with the bot or in a group; a
        leading /command is marked as one."""
        chat: dict[str, Any] = {"id": user_id, "type": "private", "first_name": name}
        if in_group is not None:
            chat = {"id": in_group, "type": "supergroup", "title": f"Group {in_group}"}
        message: dict[str, Any] = {
            "message_id": self._message_id(),
            "date": int(time.time()),
            "chat": chat,
            "from": self.user(user_id, name),
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        await self._push({"message": message})

    async def user_taps(self, user_id: int, message: Sent, data: str, *, name: str = "Fan") -> str:
        """A tap on one of the bot's inline buttons; returns the callback query id."""
        query_id = f"cq{next(self._ids)}"
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

    async def user_pays(self, user_id: int, invoice: Invoice, *, within: float = 10.0) -> bool:
        """Telegram's Stars checkout: a pre-checkout query the bot must answer in time, then
        (only if it said ok) the successful payment. Returns whether the fan was charged."""
        query_id = f"pcq{next(self._ids)}"
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
        answer = await self.wait_for(lambda: self.checkout_answers.get(query_id), seconds=within)
        if not answer["ok"]:
            return False
        await self._push({"message": self.payment_message(user_id, invoice)})
        return True

    def payment_message(self, user_id: int, invoice: Invoice, charge: str = "") -> dict[str, Any]:
        """The service message Telegram sends once Stars moved (resendable, as Telegram may)."""
        return {
            "message_id": self._message_id(),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private"},
            "from": self.user(user_id),
            "successful_payment": {
                "currency": invoice.currency,
                "total_amount": invoice.amount,
                "invoice_payload": invoice.payload,
                "telegram_payment_charge_id": charge or f"stxCharge{invoice.message_id}",
                "provider_payment_charge_id": "",
            },
        }

    async def deliver(self, update: dict[str, Any]) -> None:
        await self._push(update)

    async def wait_for(self, probe: Any, *, seconds: float = 5.0) -> Any:
        """Wait until `probe()` is truthy (the bot has answered), and return it."""
        async with asyncio.timeout(seconds), self._posted:
            await self._posted.wait_for(probe)
            return probe()

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
        async with self._posted:
            self._posted.notify_all()
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
        self._within_flood_limits(chat_id)
        text = str(p["text"])
        if not 1 <= len(text) <= 4096:
            raise ApiError(400, "Bad Request: message is too long")
        message = Sent(chat_id, self._message_id(), text, p.get("reply_markup"))
        self.sent.append(message)
        return self._message_json(message)

    async def _api_sendDocument(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._reachable(p["chat_id"])
        self._within_flood_limits(chat_id)
        document = p.get("document")
        if not isinstance(document, tuple):
            raise ApiError(400, "Bad Request: there is no document in the request")
        caption = str(p.get("caption", ""))
        message = Sent(chat_id, self._message_id(), caption, p.get("reply_markup"), 0, document)
        self.sent.append(message)
        return self._message_json(message)

    async def _api_editMessageText(self, p: dict[str, Any]) -> dict[str, Any]:
        message = self._find(p)
        if message.text == p["text"] and message.reply_markup == p.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified")
        message.text, message.reply_markup = str(p["text"]), p.get("reply_markup")
        message.edits += 1
        return self._message_json(message)

    async def _api_editMessageReplyMarkup(self, p: dict[str, Any]) -> dict[str, Any]:
        message = self._find(p)
        message.reply_markup = p.get("reply_markup")
        return self._message_json(message)

    async def _api_answerCallbackQuery(self, p: dict[str, Any]) -> bool:
        self.answers[p["callback_query_id"]] = p
        return True

    async def _api_sendInvoice(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._reachable(p["chat_id"])
        if p.get("currency") != "XTR" or p.get("provider_token"):
            raise ApiError(400, "Bad Request: digital goods take XTR with no provider token")
        prices = p["prices"]
        if len(prices) != 1:
            raise ApiError(400, "Bad Request: Stars invoices take exactly one price")
        message = Sent(chat_id, self._message_id(), f"invoice: {p['title']}")
        self.sent.append(message)
        amount = int(prices[0]["amount"])
        self.invoices.append(
            Invoice(chat_id, message.message_id, p["title"], p["payload"], "XTR", amount)
        )
        return self._message_json(message)

    async def _api_answerPreCheckoutQuery(self, p: dict[str, Any]) -> bool:
        if not p["ok"] and not p.get("error_message"):
            raise ApiError(400, "Bad Request: error_message is required when ok is false")
        self.checkout_answers[p["pre_checkout_query_id"]] = p
        return True

    async def _api_refundStarPayment(self, p: dict[str, Any]) -> bool:
        refund = (int(p["user_id"]), str(p["telegram_payment_charge_id"]))
        if refund in self.refunds:
            raise ApiError(400, "Bad Request: CHARGE_ALREADY_REFUNDED")
        self.refunds.append(refund)
        return True

    async def _api_createChatInviteLink(self, p: dict[str, Any]) -> dict[str, Any]:
        self._administered(p, "can_invite_users")
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
            "uses": 0,
        }
        return {k: v for k, v in self.invite_links[link].items() if k not in ("chat_id", "uses")}

    async def _api_revokeChatInviteLink(self, p: dict[str, Any]) -> dict[str, Any]:
        invite = self.invite_links.get(str(p["invite_link"]))
        if invite is None or invite["chat_id"] != int(p["chat_id"]):
            raise ApiError(400, "Bad Request: INVITE_HASH_EXPIRED")
        invite["is_revoked"] = True
        return {k: v for k, v in invite.items() if k not in ("chat_id", "uses")}

    async def _api_getChatMember(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id, user_id = int(p["chat_id"]), int(p["user_id"])
        if user_id == BOT["id"] and chat_id in self.bot_rights:
            rights = {"can_invite_users": False, "can_restrict_members": False}
            rights.update(self.bot_rights[chat_id])
            return {"status": "administrator", "user": BOT, "can_be_edited": False,
                    "is_anonymous": False, "can_manage_chat": True,
                    "can_delete_messages": False, "can_manage_video_chats": False,
                    "can_promote_members": False, "can_change_info": False,
                    "can_post_stories": False, "can_edit_stories": False,
                    "can_delete_stories": False, **rights}  # fmt: skip
        status = "member" if user_id in self.members.get(chat_id, set()) else "left"
        return {"status": status, "user": BOT if user_id == BOT["id"] else self.user(user_id)}

    async def _api_banChatMember(self, p: dict[str, Any]) -> bool:
        chat_id, user_id = self._administered(p, "can_restrict_members")
        self.members.setdefault(chat_id, set()).discard(user_id)
        self.bans.append((chat_id, user_id))
        return True

    async def _api_unbanChatMember(self, p: dict[str, Any]) -> bool:
        chat_id, user_id = self._administered(p, "can_restrict_members")
        banned = (chat_id, user_id) in self.bans and (chat_id, user_id) not in self.unbans
        if banned or not p.get("only_if_banned"):
            self.unbans.append((chat_id, user_id))
        return True

    def user_joins(self, user_id: int, link: str) -> bool:
        """Follow an invite link: honoured once per member_limit, never after it expires or
        is revoked, and never for someone banned and not unbanned since."""
        invite = self.invite_links.get(link)
        if invite is None or invite["is_revoked"]:
            return False
        limit, expires = invite["member_limit"], invite["expire_date"]
        if (limit and invite["uses"] >= limit) or (expires and int(expires) < self.now()):
            return False
        chat = invite["chat_id"]
        if self.bans.count((chat, user_id)) > self.unbans.count((chat, user_id)):
            return False
        invite["uses"] += 1
        self.members.setdefault(invite["chat_id"], set()).add(user_id)
        return True

    # plumbing ---------------------------------------------------------------------------

    async def _push(self, update: dict[str, Any]) -> None:
        update = {"update_id": next(self._ids), **update}
        if self.webhook is not None:
            headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook["secret_token"]}
            async with ClientSession() as http:
                await http.post(self.webhook["url"], json=update, headers=headers)
            return
        async with self._posted:
            self._updates.append(update)
            self._posted.notify_all()

    def _reachable(self, chat_id: Any) -> int:
        chat = int(chat_id)
        if chat in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _within_flood_limits(self, chat_id: int) -> None:
        now = time.monotonic()
        while self._recent and self._recent[0] <= now - 1:
            self._recent.popleft()
        overall = self.overall_per_second is not None and (
            len(self._recent) >= self.overall_per_second
        )
        gap = 1 / self.chat_per_second if self.chat_per_second else 0
        if overall or now - self._last_to.get(chat_id, -gap) < gap:
            self.too_many += 1
            raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        self._recent.append(now)
        self._last_to[chat_id] = now

    def _administered(self, p: dict[str, Any], right: str) -> tuple[int, int]:
        chat_id = int(p["chat_id"])
        if not self.bot_rights.get(chat_id, {}).get(right):
            raise ApiError(400, "Bad Request: not enough rights")
        return chat_id, int(p.get("user_id") or 0)

    def _find(self, p: dict[str, Any]) -> Sent:
        for message in self.sent:
            if message.chat_id == int(p["chat_id"]) and message.message_id == int(p["message_id"]):
                return message
        raise ApiError(400, "Bad Request: message to edit not found")

    def _message_id(self) -> int:
        return next(self._ids)

    def _message_json(self, message: Sent) -> dict[str, Any]:
        body: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": {
                "id": message.chat_id,
                "type": "channel" if message.chat_id < 0 else "private",
            },
            "from": BOT,
            "text": message.text,
        }
        if message.reply_markup:
            body["reply_markup"] = message.reply_markup
        return body


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
