"""A fake Discord (API v10 REST and gateway) on loopback that the real discord.py talks to.

REST answers in Discord's JSON shapes with `Content-Type: application/json` exactly, errors
as `{"code": …, "message": …, "errors": {…}}`, and 429s the way discord.py retries them (a
`Via` header, `retry_after` in the body, the `X-RateLimit-*` headers). The gateway is a
websocket with text frames: HELLO, IDENTIFY, READY, GUILD_CREATE (with who is in voice),
heartbeats, then whatever a test dispatches. Tests act as people through `run_command`,
`press`, `autocomplete` and `submit_modal`, and read what the bot did from `messages`,
`responses`, `dms` and `roles`.

It is as strict as Discord: each rule names its source in a comment beside it and has a test
in tests/integration/test_discord_peer.py (size limits, the interaction's 3 seconds and 15
minutes, permissions from roles and channel overwrites, scheduled events that start and end
by themselves, who a message would ping). Every REST call may take `latency` seconds, as
Discord's do. Two clocks: `now` is Discord's calendar (scheduled events), which a test may tie
to its `ManualClock`; `ticks` is what interaction deadlines are counted on, real time by
default, because the bot answers in real time.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import WSMsgType, web

from adapters.pacing import PerSecond
from tests.eventually import eventually

APP_ID = "900000000000000001"
BOT_ID = "800000000000000001"
GUILD_ID = "700000000000000001"
DROPS_CHANNEL = "710000000000000001"
STAGE_CHANNEL = "710000000000000002"
OWNER = "600000000000000001"
BOT_USER = {"id": BOT_ID, "username": "Dropcast", "discriminator": "0", "global_name": None,
            "avatar": None, "bot": True, "flags": 0}  # fmt: skip
BOT_ROLE = "720000000000000001"
# discord.com/developers/docs/topics/permissions#permissions-bitwise-permission-flags
ADMINISTRATOR, MANAGE_GUILD = 1 << 3, 1 << 5
VIEW_CHANNEL, SEND_MESSAGES, EMBED_LINKS, ATTACH_FILES = 1 << 10, 1 << 11, 1 << 14, 1 << 15
MENTION_EVERYONE, MANAGE_ROLES, USE_APPLICATION_COMMANDS = 1 << 17, 1 << 28, 1 << 31
MANAGE_EVENTS, CREATE_EVENTS = 1 << 33, 1 << 44
ALL_PERMISSIONS = (1 << 51) - 1
EVERYONE_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | USE_APPLICATION_COMMANDS
# what the README's invite (Connect Discord, step 2) has the creator tick: the bot's own role
BOT_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | MANAGE_ROLES | CREATE_EVENTS

# discord.com/developers/docs/resources/message#create-message: content "up to 2000 characters"
MAX_CONTENT = 2000
# discord.com/developers/docs/resources/message#embed-object-embed-limits: title 256,
# description 4096, 25 fields, field name 256, value 1024, footer text 2048, author name 256,
# and "the combined sum of characters in all title, description, field.name, field.value,
# footer.text, and author.name fields across all embeds attached to a message must not
# exceed 6000 characters"; up to 10 embeds a message
MAX_EMBED_TOTAL, MAX_EMBEDS, MAX_FIELDS = 6000, 10, 25
# discord.com/developers/docs/components/reference#action-row: up to 5 action rows in a
# message, "up to 5 contextually grouped buttons" in one; #button: label max 80, custom_id
# 1-100; #string-select: 1-25 options, option label/value/description max 100, placeholder
# max 150; #text-input: label max 45 (#label likewise, description max 100), placeholder max
# 100, value max 4000
MAX_ROWS, MAX_ROW_BUTTONS, MAX_OPTIONS = 5, 5, 25
# discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-
# object-modal: title "max 45 characters", 1-5 components
MAX_MODAL_TITLE = 45
# discord.com/developers/docs/interactions/receiving-and-responding#responding-to-an-
# interaction: "you must send an initial response within 3 seconds of receiving the event.
# If the 3 second deadline is exceeded, the token will be invalidated"; "Interaction tokens
# are valid for 15 minutes" (follow-ups, edits of the original)
ANSWER_SECONDS, TOKEN_SECONDS = 3.0, 15 * 60.0
# discord.com/developers/docs/resources/guild-scheduled-event#guild-scheduled-event-object-
# guild-scheduled-event-entity-types and -status
STAGE_INSTANCE, VOICE, EXTERNAL = 1, 2, 3
SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4
# ...#guild-scheduled-event-object-valid-guild-scheduled-event-status-transitions
NEXT_STATUS = {SCHEDULED: {ACTIVE, CANCELED}, ACTIVE: {COMPLETED}}
# discord.com/developers/docs/events/gateway-events#guild-create: "extra fields" that only
# GUILD_CREATE carries, not a guild from REST
GATEWAY_ONLY = {"joined_at", "large", "unavailable", "member_count", "voice_states", "members",
                "channels", "threads", "presences", "stage_instances",
                "guild_scheduled_events"}  # fmt: skip
# discord.com/developers/docs/resources/guild#list-guild-members: "max number of members to
# return (1-1000)"
MAX_MEMBERS_PAGE = 1000
# discord.com/developers/docs/topics/rate-limits#header-format: what a 429 carries
RETRY_AFTER = 0.05
# discord.com/developers/docs/topics/rate-limits#global-rate-limit: "All bots can make up to
# 50 requests per second to our API", per bot token however many processes use it;
# "Interaction endpoints are not bound to the bot's Global Rate Limit"; past it, a 429 whose
# body says "global": true and whose X-RateLimit-Scope is "global"
GLOBAL_PER_SECOND = 50


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


class ApiError(Exception):
    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message} | (
            {"errors": self.errors} if self.errors else {}
        )


class Form:
    """Discord's 400 "Invalid Form Body" (code 50035): every problem at once, nested by the
    path to its field, each as `{"code": …, "message": …}` in `_errors`.
    (discord.com/developers/docs/reference#error-messages)"""

    def __init__(self) -> None:
        self.errors: dict[str, Any] = {}

    def refuse(self, path: tuple[Any, ...], code: str, message: str) -> None:
        node = self.errors
        for key in path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def at_most(self, path: tuple[Any, ...], value: Any, limit: int) -> None:
        if value is not None and len(value) > limit:
            self.refuse(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def between(self, path: tuple[Any, ...], value: Any, low: int, high: int) -> None:
        if not low <= len(value or ()) <= high:
            message = f"Must be between {low} and {high} in length."
            self.refuse(path, "BASE_TYPE_BAD_LENGTH", message)

    def required(self, path: tuple[Any, ...], value: Any) -> None:
        if not value:
            self.refuse(path, "BASE_TYPE_REQUIRED", "This field is required")

    def settle(self) -> None:
        if self.errors:
            raise ApiError(400, 50035, "Invalid Form Body", self.errors)


def check_message(form: Form, body: dict[str, Any], at: tuple[Any, ...] = ()) -> None:
    """A message's content, embeds and components within Discord's sizes."""
    form.at_most((*at, "content"), body.get("content"), MAX_CONTENT)
    embeds = body.get("embeds") or []
    form.at_most((*at, "embeds"), embeds, MAX_EMBEDS)
    total = sum(_check_embed(form, embed, (*at, "embeds", n)) for n, embed in enumerate(embeds))
    if total > MAX_EMBED_TOTAL:
        form.refuse(
            (*at, "embeds"),
            "MAX_EMBED_SIZE_EXCEEDED",
            f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}",
        )
    check_rows(form, body.get("components") or [], (*at, "components"))


def _check_embed(form: Form, embed: dict[str, Any], at: tuple[Any, ...]) -> int:
    """One embed's limits; returns its characters, which count towards the 6000."""
    texts: list[tuple[tuple[Any, ...], str | None, int]] = [
        (("title",), embed.get("title"), 256),
        (("description",), embed.get("description"), 4096),
        (("footer", "text"), (embed.get("footer") or {}).get("text"), 2048),
        (("author", "name"), (embed.get("author") or {}).get("name"), 256),
    ]
    fields = embed.get("fields") or []
    form.at_most((*at, "fields"), fields, MAX_FIELDS)
    for n, item in enumerate(fields):
        texts.append((("fields", n, "name"), item.get("name"), 256))
        texts.append((("fields", n, "value"), item.get("value"), 1024))
    for path, text, limit in texts:
        form.at_most((*at, *path), text, limit)
    return sum(len(text or "") for _, text, _ in texts)


def check_rows(form: Form, rows: list[dict[str, Any]], at: tuple[Any, ...]) -> None:
    form.at_most(at, rows, MAX_ROWS)
    for n, row in enumerate(rows):
        if row.get("type") != 1:  # a modal's label (type 18) stands alone
            check_component(form, row, (*at, n))
            continue
        inside = row.get("components") or []
        form.between((*at, n, "components"), inside, 1, MAX_ROW_BUTTONS)
        for m, component in enumerate(inside):
            check_component(form, component, (*at, n, "components", m))


def check_component(form: Form, component: dict[str, Any], at: tuple[Any, ...]) -> None:
    kind = component.get("type")
    form.at_most((*at, "custom_id"), component.get("custom_id"), 100)
    if kind == 2:  # button
        form.at_most((*at, "label"), component.get("label"), 80)
        form.at_most((*at, "url"), component.get("url"), 512)
    elif kind in (3, 5, 6, 7, 8):  # selects
        form.at_most((*at, "placeholder"), component.get("placeholder"), 150)
        if kind == 3:
            options = component.get("options") or []
            form.between((*at, "options"), options, 1, MAX_OPTIONS)
            for n, choice in enumerate(options):
                for key in ("label", "value", "description"):
                    form.at_most((*at, "options", n, key), choice.get(key), 100)
    elif kind == 4:  # text input
        form.at_most((*at, "label"), component.get("label"), 45)
        form.at_most((*at, "placeholder"), component.get("placeholder"), 100)
        form.at_most((*at, "value"), component.get("value"), 4000)
    elif kind == 18:  # label around a modal's input
        form.at_most((*at, "label"), component.get("label"), 45)
        form.at_most((*at, "description"), component.get("description"), 100)
        check_component(form, component.get("component") or {}, (*at, "component"))


def check_modal(form: Form, data: dict[str, Any], at: tuple[Any, ...]) -> None:
    form.at_most((*at, "title"), data.get("title"), MAX_MODAL_TITLE)
    form.at_most((*at, "custom_id"), data.get("custom_id"), 100)
    rows = data.get("components") or []
    form.between((*at, "components"), rows, 1, MAX_ROWS)
    check_rows(form, rows, (*at, "components"))


@dataclass
class Message:
    """A message the bot posted (and its latest state after edits)."""

    id: str
    channel_id: str
    content: str
    embeds: list[dict[str, Any]]
    components: list[dict[str, Any]]
    flags: int = 0
    edits: int = 0
    files: list[tuple[str, bytes]] = field(default_factory=list)  # (name, content) attached
    pings: list[str] = field(default_factory=list)  # whom it notified: "@everyone", "user:…"

    def embeds_text(self) -> str:
        return "\n".join(
            f"{f['name']}: {f['value']}" for embed in self.embeds for f in embed.get("fields", [])
        )

    def text(self) -> str:
        """Content and embeds as one string, for asserting on what a person reads."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [embed.get("title", ""), embed.get("description", "")]
            parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields", [])]
        return "\n".join(part for part in parts if part)

    def buttons(self) -> list[dict[str, Any]]:
        return [c for row in self.components for c in row.get("components", [])]

    def button(self, label_part: str) -> dict[str, Any]:
        return next(b for b in self.buttons() if label_part in b.get("label", ""))

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)


@dataclass
class DiscordApi:
    token: str = "MTAw.fake.discord-bot-token"
    roles: list[dict[str, Any]] = field(default_factory=list)
    member_roles: dict[str, set[str]] = field(default_factory=dict)  # user id → role ids
    messages: list[Message] = field(default_factory=list)
    responses: dict[str, list[Message]] = field(default_factory=dict)  # interaction → replies
    callbacks: dict[str, dict[str, Any]] = field(default_factory=dict)  # interaction → callback
    dm_channels: dict[str, str] = field(default_factory=dict)  # channel id → user id
    closed_dms: set[str] = field(default_factory=set)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)  # Guild Scheduled Events
    interested: dict[str, list[str]] = field(default_factory=dict)  # event id → user ids
    refused_dms: int = 0  # DMs refused with 50007: Discord bans bots that keep trying
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # scope → commands
    failures: dict[str, list[ApiError]] = field(default_factory=dict)  # route key → errors
    overwrites: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # channel → its
    voice_states: dict[str, str] = field(default_factory=dict)  # user id → voice channel id
    # the application's Server Members Intent, switched on in the Developer Portal
    members_intent: bool = False
    now: Callable[[], float] = time.time  # Discord's calendar (a test's clock, if it likes)
    ticks: Callable[[], float] = time.monotonic  # what interaction deadlines count on
    latency: tuple[float, float] = (0.0, 0.0)  # seconds each REST call takes, at random
    refusals: list[tuple[str, int]] = field(default_factory=list)  # (call, code) refused
    # interaction → seconds from the tap to the bot's first response, and to its first
    # visible reply (the deferred "thinking" then the follow-up, or a message at once)
    answered_after: dict[str, float] = field(default_factory=dict)
    replied_after: dict[str, float] = field(default_factory=dict)
    url: str = ""
    _asked: dict[str, float] = field(default_factory=dict)  # interaction id → ticks at arrival
    _global: PerSecond = field(default_factory=lambda: PerSecond(GLOBAL_PER_SECOND))
    globally_limited: int = 0  # calls refused for the bot's global rate
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _sequence: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _identified: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None

    async def __aenter__(self) -> DiscordApi:
        self.roles = [
            self._role(GUILD_ID, "@everyone", 0, EVERYONE_PERMISSIONS),
            self._role(BOT_ROLE, "Dropcast", 5, BOT_PERMISSIONS, managed=True),
            self._role("720000000000000002", "Insider", 2, 0),
            self._role("720000000000000003", "Moderators", 9, MANAGE_GUILD),
        ]
        self.member_roles[BOT_ID] = {BOT_ROLE}
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *_: object) -> None:
        for socket in self._sockets:
            await socket.close()
        assert self._runner is not None
        await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"{self.url}/api"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.url.rsplit(':', 1)[1]}/gateway"

    # what tests do as people -------------------------------------------------------------

    def member(self, user_id: str, *, admin: bool = False, roles: tuple[str, ...] = ()) -> dict:
        permissions = EVERYONE_PERMISSIONS | (MANAGE_GUILD if admin else 0)
        return {
            "user": {"id": user_id, "username": f"user{user_id[-4:]}", "discriminator": "0",
                     "global_name": f"Fan {user_id[-4:]}", "avatar": None},
            "roles": list(roles), "joined_at": now_iso(), "deaf": False, "mute": False,
            "flags": 0, "permissions": str(permissions),
        }  # fmt: skip

    async def run_command(
        self, user_id: str, name: str, options: list[dict[str, Any]] | None = None, **who: Any
    ) -> str:
        """A slash command; `name` may be "drop open" for a subcommand. Returns the
        interaction id, whose replies land in `responses`."""
        parts = name.split()
        data: dict[str, Any] = {"id": self._id(), "name": parts[0], "type": 1}
        if len(parts) == 2:
            data["options"] = [{"type": 1, "name": parts[1], "options": options or []}]
        else:
            data["options"] = options or []
        data["resolved"] = self._resolved(options or [])
        return await self._interact(2, data, user_id, **who)

    def _resolved(self, options: list[dict[str, Any]]) -> dict[str, Any]:
        """What Discord sends along for channel (7) and role (8) options."""
        resolved: dict[str, Any] = {}
        for chosen in options:
            if chosen["type"] == 7:
                channel = next(c for c in self._guild()["channels"] if c["id"] == chosen["value"])
                resolved.setdefault("channels", {})[chosen["value"]] = {
                    **channel, "permissions": str(EVERYONE_PERMISSIONS)}  # fmt: skip
            elif chosen["type"] == 8:
                role = next(r for r in self.roles if r["id"] == chosen["value"])
                resolved.setdefault("roles", {})[chosen["value"]] = role
        return resolved

    async def autocomplete(self, user_id: str, name: str, option: str, typed: str) -> list[dict]:
        focused = {"type": 3, "name": option, "value": typed, "focused": True}
        data = {"id": self._id(), "name": name, "type": 1, "options": [focused]}
        interaction = await self._interact(4, data, user_id)
        callback = await self.wait_for(lambda: self.callbacks.get(interaction))
        return list(callback["data"]["choices"])

    async def press(self, user_id: str, message: Message, custom_id: str, **who: Any) -> str:
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._interact(3, data, user_id, message=message, **who)

    async def taps_buy(self, user_id: str, tier_id: int, **who: Any) -> str:
        """A fan taps Buy on a drop post in #drops carrying the tier's button (one posted
        earlier, by any process, or before a restart)."""
        buy = f"dropcast:buy:{tier_id}"
        button = {"type": 2, "style": 3, "label": "Buy", "custom_id": buy}
        post = Message("1", DROPS_CHANNEL, "", [], [{"type": 1, "components": [button]}])
        return await self.press(user_id, post, buy, **who)

    async def submit_modal(
        self, user_id: str, custom_id: str, values: dict[str, str], **who: Any
    ) -> str:
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]}
            for key, value in values.items()
        ]
        return await self._interact(5, {"custom_id": custom_id, "components": rows}, user_id, **who)

    async def reply_to(self, interaction: str, *, seconds: float = 5.0) -> Message:
        """The bot's first visible reply to an interaction (its response or a follow-up)."""
        replies = await self.wait_for(lambda: self.responses.get(interaction), seconds=seconds)
        return replies[0]

    async def wait_for(self, probe: Any, *, seconds: float = 5.0) -> Any:
        """Wait until `probe()` is truthy (the bot has done it), and return it."""
        return await eventually(probe, seconds=seconds)

    async def wait_connected(self, seconds: float = 10.0) -> None:
        async with asyncio.timeout(seconds):
            await self._identified.wait()

    def in_channel(self, channel_id: str) -> list[Message]:
        return [m for m in self.messages if m.channel_id == channel_id]

    def dms_to(self, user_id: str) -> list[Message]:
        return [m for m in self.messages if self.dm_channels.get(m.channel_id) == user_id]

    def fail_next(self, method: str, path_part: str, error: ApiError) -> None:
        self.failures.setdefault(f"{method} {path_part}", []).append(error)

    def rate_limit_next(self, method: str, path_part: str) -> None:
        self.fail_next(method, path_part, ApiError(429, 0, "You are being rate limited."))

    def deny(self, channel_id: str, permissions: int, to: str = GUILD_ID) -> None:
        """A channel overwrite taking `permissions` from a role (@everyone by default) or a
        member, as a creator does in the channel's settings."""
        kind = 0 if to in {role["id"] for role in self.roles} else 1
        self.overwrites.setdefault(channel_id, []).append(
            {"id": to, "type": kind, "allow": "0", "deny": str(permissions)}
        )

    def calendar(self) -> dict[str, dict[str, Any]]:
        """The scheduled events as Discord shows them now."""
        self._run_calendar()
        return self.events

    def permissions(self, user_id: str, channel_id: str | None = None) -> int:
        """What a member may do, in the server or in one channel."""
        # discord.com/developers/docs/topics/permissions#permission-overwrites: the base is
        # @everyone's and the member's roles' permissions (Administrator is all of them), then
        # the channel's @everyone overwrite, its role overwrites together, the member's own
        held = self.member_roles.get(user_id, set())
        allowed = 0
        for role in self.roles:
            if role["id"] == GUILD_ID or role["id"] in held:
                allowed |= int(role["permissions"])
        if allowed & ADMINISTRATOR:
            return ALL_PERMISSIONS
        if channel_id is None:
            return allowed
        overwrites = {o["id"]: o for o in self.overwrites.get(channel_id, [])}
        layers = [[overwrites.get(GUILD_ID)], [overwrites.get(role) for role in held]]
        layers.append([overwrites.get(user_id)])
        for layer in layers:
            deny = allow = 0
            for overwrite in filter(None, layer):
                deny, allow = deny | int(overwrite["deny"]), allow | int(overwrite["allow"])
            allowed = (allowed & ~deny) | allow
        return allowed

    def _need(self, *any_of: int, channel: str | None = None) -> None:
        """403 unless the bot holds one of `any_of` (each a permission or several at once)."""
        held = self.permissions(BOT_ID, channel)
        if channel is not None and not held & VIEW_CHANNEL:
            # what Discord answers when the bot cannot see the channel at all
            raise ApiError(403, 50001, "Missing Access")
        if not any(held & wanted == wanted for wanted in any_of):
            raise ApiError(403, 50013, "Missing Permissions")

    # the gateway ------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        async for frame in socket:
            if frame.type != WSMsgType.TEXT:
                break
            payload = json.loads(frame.data)
            if payload["op"] == 1:
                await socket.send_str(json.dumps({"op": 11}))
            elif payload["op"] == 2:
                await self._ready(socket, payload["d"])
        self._sockets.remove(socket)
        return socket

    async def _ready(self, socket: web.WebSocketResponse, identify: dict[str, Any]) -> None:
        shard = identify.get("shard") or [0, 1]
        ready = {"v": 10, "user": BOT_USER, "guilds": [{"id": GUILD_ID, "unavailable": True}],
                 "session_id": "session1", "resume_gateway_url": self.gateway_url,
                 "application": {"id": APP_ID, "flags": 0}, "shard": shard,
                 "private_channels": []}  # fmt: skip
        await self._dispatch(socket, "READY", ready)
        await self._dispatch(socket, "GUILD_CREATE", self._guild())
        self._identified.set()

    async def _dispatch(self, socket: web.WebSocketResponse, event: str, data: Any) -> None:
        frame = {"op": 0, "t": event, "s": next(self._sequence), "d": data}
        await socket.send_str(json.dumps(frame))

    async def dispatch(self, event: str, data: Any) -> None:
        for socket in list(self._sockets):
            await self._dispatch(socket, event, data)

    async def voice(self, user_id: str, channel_id: str | None) -> None:
        """A member joins (or, with None, leaves) a voice channel."""
        if channel_id is None:
            self.voice_states.pop(user_id, None)
        else:
            self.voice_states[user_id] = channel_id
        state = {"guild_id": GUILD_ID, **self._voice_state(user_id, channel_id)}
        await self.dispatch("VOICE_STATE_UPDATE", state)

    def _voice_state(self, user_id: str, channel_id: str | None) -> dict[str, Any]:
        return {"channel_id": channel_id, "user_id": user_id, "member": self.member(user_id),
                "session_id": f"voice-{user_id}", "deaf": False, "mute": False,
                "self_deaf": False, "self_mute": False, "self_video": False,
                "suppress": False, "request_to_speak_timestamp": None}  # fmt: skip

    async def bot_added_to(self, guild_id: str, name: str) -> None:
        """Someone adds the bot to another server while it runs."""
        guild = {**self._guild(), "id": guild_id, "name": name}
        del guild["unavailable"]  # Discord leaves it out for a server the bot just joined
        await self.dispatch("GUILD_CREATE", guild)

    def _guild(self) -> dict[str, Any]:
        channel = {"id": DROPS_CHANNEL, "type": 0, "guild_id": GUILD_ID, "name": "drops",
                   "position": 0, "permission_overwrites": self.overwrites.get(DROPS_CHANNEL, []),
                   "nsfw": False, "parent_id": None,
                   "topic": None, "rate_limit_per_user": 0, "last_message_id": None}  # fmt: skip
        stage = {"id": STAGE_CHANNEL, "type": 2, "guild_id": GUILD_ID, "name": "Live room",
                 "position": 1, "permission_overwrites": self.overwrites.get(STAGE_CHANNEL, []),
                 "nsfw": False, "parent_id": None,
                 "bitrate": 64000, "user_limit": 0, "rtc_region": None}  # fmt: skip
        bot_member = self._bot_member()
        return {
            "id": GUILD_ID, "name": "Fan Club", "icon": None, "owner_id": OWNER,
            "roles": self.roles, "channels": [channel, stage],
            # discord.com/developers/docs/events/gateway-events#guild-create: voice_states
            # of who is in voice now, and those members among `members`
            "members": [bot_member, *(self.member(u) for u in self.voice_states)],
            "member_count": 2, "emojis": [], "stickers": [], "features": [],
            "premium_tier": 0, "unavailable": False, "large": False, "joined_at": now_iso(),
            "voice_states": [self._voice_state(u, c) for u, c in self.voice_states.items()],
            "threads": [], "stage_instances": [],
            "guild_scheduled_events": [], "presences": [], "preferred_locale": "en-US",
            "mfa_level": 0, "verification_level": 0, "explicit_content_filter": 0,
            "default_message_notifications": 0, "system_channel_flags": 0, "nsfw_level": 0,
            "afk_timeout": 300, "premium_subscription_count": 0,
        }  # fmt: skip

    def _bot_member(self) -> dict[str, Any]:
        return {"user": BOT_USER, "roles": sorted(self.member_roles[BOT_ID]),
                "joined_at": now_iso(), "deaf": False, "mute": False, "flags": 0}  # fmt: skip

    @staticmethod
    def _known_guild(guild: str) -> None:
        if guild != GUILD_ID:
            raise ApiError(404, 10004, "Unknown Guild")

    async def _interact(
        self,
        kind: int,
        data: dict[str, Any],
        user_id: str,
        *,
        message: Message | None = None,
        admin: bool = False,
        roles: tuple[str, ...] = (),
    ) -> str:
        interaction_id = self._id()
        channel_id = message.channel_id if message else DROPS_CHANNEL
        payload: dict[str, Any] = {
            "id": interaction_id, "application_id": APP_ID, "type": kind, "data": data,
            "guild_id": GUILD_ID, "channel_id": channel_id,
            "channel": {"id": channel_id, "type": 0, "guild_id": GUILD_ID, "name": "drops"},
            "member": self.member(user_id, admin=admin, roles=roles),
            "token": f"token-{interaction_id}", "version": 1,
            "app_permissions": str(self.permissions(BOT_ID, channel_id)),
            "locale": "en-US", "guild_locale": "en-US", "entitlements": [],
            "authorizing_integration_owners": {"0": GUILD_ID}, "context": 0,
            "attachment_size_limit": 8 * 1024 * 1024,
        }  # fmt: skip
        if message is not None:
            payload["message"] = self._message_json(message)
        if channel_id in self.dm_channels:  # a button on a DM: no server, no member
            for key in ("guild_id", "member", "guild_locale"):
                del payload[key]
            payload |= {"channel": {"id": channel_id, "type": 1}, "context": 1,
                        "user": self.member(user_id)["user"],
                        "authorizing_integration_owners": {"1": user_id}}  # fmt: skip
        self._asked[interaction_id] = self.ticks()
        await self.dispatch("INTERACTION_CREATE", payload)
        return interaction_id

    # REST -------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        # only interaction answers go without the bot's token (they carry their own)
        unsigned = path.startswith(("/webhooks/", "/interactions/"))
        if not unsigned and request.headers.get("Authorization") != f"Bot {self.token}":
            return _json({"code": 0, "message": "401: Unauthorized"}, 401)
        if not unsigned and (wait := self._global.wait()):
            self.globally_limited += 1
            return _too_many("You are being rate limited.", wait, scope="global")
        body: Any = None
        if request.content_type == "multipart/form-data":  # a message with files
            form = await request.post()
            body = json.loads(str(form["payload_json"]))
            body["files"] = [(f.filename, f.file.read()) for f in form.values()
                             if isinstance(f, web.FileField)]  # fmt: skip
        elif request.can_read_body:
            body = await request.json()
        await asyncio.sleep(random.uniform(*self.latency))
        try:
            self._injected_failure(request.method, path)
            self._run_calendar()
            try:
                if request.method == "GET" and request.query:  # a listing's paging
                    body = dict(request.query)
                result = await self._route(request.method, path, body or {})
            except ApiError as refused:
                self.refusals.append((f"{request.method} {path}", refused.code))
                raise
        except ApiError as error:
            if error.status == 429:
                return _too_many(error.message)
            return _json(error.body(), error.status)
        if result is None:
            return web.Response(status=204)
        return _json(result)

    def _injected_failure(self, method: str, path: str) -> None:
        for key, errors in self.failures.items():
            wanted_method, _, part = key.partition(" ")
            if wanted_method == method and part in path and errors:
                raise errors.pop(0)

    async def _route(self, method: str, path: str, body: dict[str, Any]) -> Any:
        parts = path.strip("/").split("/")
        match method, parts:
            case "GET", ["users", "@me"]:
                return BOT_USER
            case "GET", ["oauth2", "applications", "@me"]:
                return {"id": APP_ID, "name": "Dropcast", "description": "", "icon": None,
                        "bot_public": False, "bot_require_code_grant": False,
                        "owner": {**BOT_USER, "id": OWNER, "bot": False},
                        "verify_key": "0" * 64, "flags": 0}  # fmt: skip
            case "GET", ["gateway", "bot"]:
                limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
                return {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}
            case "GET", ["gateway"]:
                return {"url": self.gateway_url}
            case "PUT", ["applications", _, "commands"]:
                return self._commands("global", body)
            case "PUT", ["applications", _, "guilds", guild, "commands"]:
                return self._commands(guild, body)
            case "POST", ["interactions", interaction, _, "callback"]:
                return self._callback(interaction, body)
            case "PATCH", ["webhooks", _, token, "messages", "@original"]:
                return self._edit_original(self._follow_up(token), body)
            case "POST", ["webhooks", _, token]:
                interaction = self._follow_up(token)
                _checked(body)
                reply = self._new_message(DROPS_CHANNEL, body)
                self._reply(interaction, reply)
                return self._message_json(reply)
            case "POST", ["channels", channel, "messages"]:
                return self._send(channel, body)
            case "PATCH", ["channels", channel, "messages", message_id]:
                message = self._find(channel, message_id)
                self._need(VIEW_CHANNEL | (EMBED_LINKS if body.get("embeds") else 0),
                           channel=channel)  # fmt: skip
                _checked(body)
                self._apply(message, body)
                message.edits += 1
                return self._message_json(message)
            case "POST", ["users", "@me", "channels"]:
                channel = next(
                    (c for c, u in self.dm_channels.items() if u == body["recipient_id"]),
                    self._id(),
                )
                self.dm_channels[channel] = str(body["recipient_id"])
                return {"id": channel, "type": 1, "last_message_id": None,
                        "recipients": [self.member(str(body["recipient_id"]))["user"]]}  # fmt: skip
            case "GET", ["channels", channel]:
                found = next((c for c in self._guild()["channels"] if c["id"] == channel), None)
                if found is None:
                    raise ApiError(404, 10003, "Unknown Channel")
                self._need(VIEW_CHANNEL, channel=channel)
                return found
            # discord.com/developers/docs/resources/user#get-current-user-guilds: partial
            # guilds, with the bot's own permissions in each as a string
            case "GET", ["users", "@me", "guilds"]:
                return [{"id": GUILD_ID, "name": "Fan Club", "icon": None, "owner": False,
                         "permissions": str(self.permissions(BOT_ID)), "features": []}]  # fmt: skip
            # discord.com/developers/docs/resources/guild#get-guild: the guild with its roles,
            # without channels or members (those come with GUILD_CREATE only); 10004 for a
            # guild the bot is not in (discord.com/developers/docs/topics/opcodes-and-status-
            # codes#json-json-error-codes)
            case "GET", ["guilds", guild]:
                self._known_guild(guild)
                return {key: value for key, value in self._guild().items()
                        if key not in GATEWAY_ONLY}  # fmt: skip
            case "GET", ["guilds", guild, "roles"]:
                self._known_guild(guild)
                return self.roles
            case "GET", ["guilds", guild, "members"]:
                self._known_guild(guild)
                return self._list_members(body)
            # discord.com/developers/docs/resources/guild#get-guild-member: 10007 for no member
            case "GET", ["guilds", guild, "members", user]:
                self._known_guild(guild)
                if user not in self.member_roles:
                    raise ApiError(404, 10007, "Unknown Member")
                if user == BOT_ID:
                    return self._bot_member()
                return self.member(user, roles=tuple(sorted(self.member_roles[user])))
            case "POST", ["guilds", guild, "scheduled-events"]:
                return self._create_event(guild, body)
            case "GET", ["guilds", _, "scheduled-events", event_id]:
                return self._event(event_id)
            case "GET", ["guilds", _, "scheduled-events", event_id, "users"]:
                return [{"guild_scheduled_event_id": event_id, "user": self.member(user)["user"]}
                        for user in self.interested.get(event_id, [])]  # fmt: skip
            case "PATCH", ["guilds", _, "scheduled-events", event_id]:
                return self._edit_event(event_id, body)
            case "DELETE", ["guilds", _, "scheduled-events", event_id]:
                self._need(*self._event_rights(self._event(event_id)))
                del self.events[event_id]
                return None
            case "PUT" | "DELETE", ["guilds", _, "members", user, "roles", role]:
                self._change_role(method, user, role)
                return None
        raise ApiError(404, 0, f"404: Not Found ({method} {path})")

    def _list_members(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """discord.com/developers/docs/resources/guild#list-guild-members: "limit" 1-1000
        (default 1), "after" the highest user id in the previous page, members in user id
        order; and "This endpoint is restricted according to whether the GUILD_MEMBERS
        Privileged Intent is enabled for your application": without it, 403 Missing Access
        (discord.com/developers/docs/topics/opcodes-and-status-codes#json-json-error-codes)."""
        if not self.members_intent:
            raise ApiError(403, 50001, "Missing Access")
        form = Form()
        limit, after = int(query.get("limit", 1)), int(query.get("after", 0))
        if limit > MAX_MEMBERS_PAGE:
            message = f"int value should be less than or equal to {MAX_MEMBERS_PAGE}."
            form.refuse(("limit",), "NUMBER_TYPE_MAX", message)
        if limit < 1:
            message = "int value should be greater than or equal to 1."
            form.refuse(("limit",), "NUMBER_TYPE_MIN", message)
        form.settle()
        users = sorted((u for u in self.member_roles if int(u) > after), key=int)[:limit]
        return [self._bot_member() if user == BOT_ID
                else self.member(user, roles=tuple(sorted(self.member_roles[user])))
                for user in users]  # fmt: skip

    def _commands(self, scope: str, body: Any) -> list[dict[str, Any]]:
        self.commands[scope] = [
            {**command, "id": self._id(), "application_id": APP_ID, "version": "1",
             "guild_id": None if scope == "global" else scope,
             "default_member_permissions": command.get("default_member_permissions")}
            for command in body
        ]  # fmt: skip
        return self.commands[scope]

    def _send(self, channel: str, body: dict[str, Any]) -> dict[str, Any]:
        if channel in self.dm_channels:
            # discord.com/developers/docs/topics/opcodes-and-status-codes#json-json-error-
            # codes: 50007 "Cannot send messages to this user" (the fan closed their DMs)
            if self.dm_channels[channel] in self.closed_dms:
                self.refused_dms += 1
                raise ApiError(403, 50007, "Cannot send messages to this user")
        else:
            # discord.com/developers/docs/resources/message#create-message: "requires the
            # SEND_MESSAGES permission"; embeds need EMBED_LINKS and files ATTACH_FILES
            # (discord.com/developers/docs/topics/permissions, 50013 when missing)
            wanted = SEND_MESSAGES | (EMBED_LINKS if body.get("embeds") else 0)
            self._need(wanted | (ATTACH_FILES if body.get("files") else 0), channel=channel)
        _checked(body)
        message = self._new_message(channel, body)
        self.messages.append(message)
        return self._message_json(message)

    def _callback(self, interaction: str, body: dict[str, Any]) -> dict[str, Any]:
        # discord.com/developers/docs/topics/opcodes-and-status-codes#json-json-error-codes:
        # 40060 "Interaction has already been acknowledged", 10062 "Unknown interaction"
        # (also what a token answers once its 3 seconds passed unanswered)
        if interaction in self.callbacks:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        asked = self._asked.get(interaction)
        if asked is None or self.ticks() - asked > ANSWER_SECONDS:
            raise ApiError(404, 10062, "Unknown interaction")
        kind, data = body["type"], {**(body.get("data") or {}), "files": body.get("files", [])}
        form = Form()
        if kind in (4, 7):
            check_message(form, data, ("data",))
        elif kind == 9:
            check_modal(form, data, ("data",))
        elif kind == 8:  # autocomplete: up to 25 choices, names and values up to 100
            choices = data.get("choices") or []
            form.at_most(("data", "choices"), choices, MAX_OPTIONS)
            for n, choice in enumerate(choices):
                form.at_most(("data", "choices", n, "name"), choice.get("name"), 100)
        form.settle()
        self.callbacks[interaction] = body
        self.answered_after[interaction] = self.ticks() - asked
        if kind in (4, 7):  # a message now (7: the component's message, updated)
            self._reply(interaction, self._new_message(DROPS_CHANNEL, data))
        answer = {"id": interaction, "type": kind,
                  "response_message_loading": kind == 5,
                  "response_message_ephemeral": bool(data.get("flags", 0) & 64)}  # fmt: skip
        return {"interaction": answer, "resource": {"type": kind}}

    def _follow_up(self, token: str) -> str:
        """The interaction a token answers for: once answered, for 15 minutes."""
        interaction = token.removeprefix("token-")
        asked = self._asked.get(interaction)
        if asked is None or interaction not in self.callbacks:
            # no first response yet: the interaction's webhook does not exist
            raise ApiError(404, 10015, "Unknown Webhook")
        if self.ticks() - asked > TOKEN_SECONDS:
            raise ApiError(401, 50027, "Invalid Webhook Token")
        return interaction

    def _reply(self, interaction: str, reply: Message) -> None:
        self.responses.setdefault(interaction, []).append(reply)
        self.replied_after.setdefault(interaction, self.ticks() - self._asked[interaction])

    def _edit_original(self, interaction: str, body: dict[str, Any]) -> dict[str, Any]:
        _checked(body)
        replies = self.responses.setdefault(interaction, [])
        if not replies:  # the deferred "thinking" message becomes the answer
            callback = self.callbacks.get(interaction, {})
            flags = (callback.get("data") or {}).get("flags", 0)
            self._reply(interaction, self._new_message(DROPS_CHANNEL, {**body, "flags": flags}))
        else:
            self._apply(replies[0], body)
        return self._message_json(replies[0])

    # scheduled events -------------------------------------------------------------------

    def _run_calendar(self) -> None:
        """What Discord does by itself at an EXTERNAL event's times."""
        # discord.com/developers/docs/resources/guild-scheduled-event#guild-scheduled-
        # event-status-update-automation: an EXTERNAL event "will automatically begin at
        # its scheduled start time" and "automatically end at its scheduled end time"
        now = self.now()
        for event in self.events.values():
            if event["entity_type"] != EXTERNAL:
                continue
            if event["status"] == SCHEDULED and _at(event["scheduled_start_time"]) <= now:
                event["status"] = ACTIVE
            if event["status"] == ACTIVE and _at(event["scheduled_end_time"]) <= now:
                event["status"] = COMPLETED

    def _event(self, event_id: str) -> dict[str, Any]:
        event = self.events.get(event_id)
        if event is None:
            raise ApiError(404, 10070, "Unknown Guild Scheduled Event")
        return event

    def _create_event(self, guild: str, body: dict[str, Any]) -> dict[str, Any]:
        # discord.com/developers/docs/resources/guild-scheduled-event#create-guild-
        # scheduled-event: "Requires the CREATE_EVENTS permission"
        self._need(CREATE_EVENTS, MANAGE_EVENTS)
        event = {"id": self._id(), "guild_id": guild, "status": SCHEDULED, "channel_id": None,
                 "creator_id": BOT_ID, "user_count": 0, "entity_metadata": None,
                 "scheduled_end_time": None, "description": None, "entity_id": None,
                 **body}  # fmt: skip
        self._check_event(event)
        self.events[event["id"]] = event
        return event

    def _edit_event(self, event_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Discord's lifecycle: scheduled → active → completed, or scheduled → canceled."""
        event = self._event(event_id)
        # ...#modify-guild-scheduled-event: "If the event was created by the current user,
        # requires either CREATE_EVENTS or MANAGE_EVENTS permission. Otherwise, requires the
        # MANAGE_EVENTS permission"
        self._need(*self._event_rights(event))
        # ...#guild-scheduled-event-object-guild-scheduled-event-status: "Once status is set
        # to COMPLETED or CANCELED, the status can no longer be updated"; error code 180000
        # "Cannot update a finished event" (opcodes-and-status-codes#json-json-error-codes)
        if event["status"] in (COMPLETED, CANCELED):
            raise ApiError(400, 180000, "Cannot update a finished event")
        if "status" in body and body["status"] not in NEXT_STATUS[event["status"]]:
            # the transitions are documented, Discord's words for a refused one are not:
            # answered as a value outside a field's choices is
            form = Form()
            allowed = ", ".join(str(s) for s in sorted(NEXT_STATUS[event["status"]]))
            form.refuse(("status",), "BASE_TYPE_CHOICES", f"Value must be one of {{{allowed}}}.")
            form.settle()
        changed = {**event, **body}
        self._check_event(changed)
        event.update(changed)
        return event

    @staticmethod
    def _event_rights(event: dict[str, Any]) -> tuple[int, ...]:
        """Either permission will do for the bot's own events (modify and delete alike)."""
        return (CREATE_EVENTS, MANAGE_EVENTS) if event["creator_id"] == BOT_ID else (MANAGE_EVENTS,)

    def _check_event(self, event: dict[str, Any]) -> None:
        # ...#guild-scheduled-event-object-field-requirements-by-entity-type: EXTERNAL needs
        # entity_metadata.location and scheduled_end_time; STAGE_INSTANCE and VOICE need
        # channel_id (a channel the bot can see)
        form = Form()
        form.between(("name",), event.get("name"), 1, 100)
        if event.get("entity_type") == EXTERNAL:
            location = (event.get("entity_metadata") or {}).get("location")
            form.required(("entity_metadata", "location"), location)
            form.at_most(("entity_metadata", "location"), location, 100)
            form.required(("scheduled_end_time",), event.get("scheduled_end_time"))
        elif event.get("entity_type") in (STAGE_INSTANCE, VOICE):
            form.required(("channel_id",), event.get("channel_id"))
        form.settle()
        if event.get("entity_type") in (STAGE_INSTANCE, VOICE):
            self._need(VIEW_CHANNEL, channel=str(event["channel_id"]))

    def _change_role(self, method: str, user: str, role_id: str) -> None:
        role = next((r for r in self.roles if r["id"] == role_id), None)
        if role is None:
            raise ApiError(404, 10011, "Unknown Role")
        # discord.com/developers/docs/topics/permissions#permission-hierarchy: Manage Roles,
        # and only "roles with a lower position than its highest role"
        self._need(MANAGE_ROLES)
        top = max(r["position"] for r in self.roles if r["id"] in self.member_roles[BOT_ID])
        if role["position"] >= top:
            raise ApiError(403, 50013, "Missing Permissions")
        held = self.member_roles.setdefault(user, set())
        if method == "PUT":
            held.add(role_id)
        else:
            held.discard(role_id)

    def _pings(self, channel_id: str, body: dict[str, Any]) -> list[str]:
        """Whom a message notifies. Embeds never ping, nor does what only one person sees."""
        # discord.com/developers/docs/resources/message#allowed-mentions-object: without
        # allowed_mentions every mention in the content pings; with it, only the kinds in
        # `parse` and the ids in `users` and `roles`; @everyone and @here need
        # MENTION_EVERYONE (topics/permissions), as do roles not marked mentionable
        if int(body.get("flags") or 0) & 64:
            return []
        allowed = body.get("allowed_mentions")
        may_everyone = bool(self.permissions(BOT_ID, channel_id or None) & MENTION_EVERYONE)
        pings = []
        for found in MENTION.finditer(body.get("content") or ""):
            kind, ref = _mention(found)
            listed = allowed is not None and ref.partition(":")[2] in allowed.get(kind, [])
            if allowed is not None and kind not in allowed.get("parse", []) and not listed:
                continue
            mentionable = any(r["mentionable"] for r in self.roles if f"role:{r['id']}" == ref)
            if kind == "everyone" and not may_everyone:
                continue
            if kind == "roles" and not (mentionable or may_everyone):
                continue
            pings.append(ref)
        return pings

    # plumbing ---------------------------------------------------------------------------

    def _new_message(self, channel_id: str, body: dict[str, Any]) -> Message:
        message = Message(self._id(), channel_id, "", [], [])
        self._apply(message, body)
        message.flags = int(body.get("flags") or 0)
        message.pings = self._pings(channel_id, body)
        return message

    @staticmethod
    def _apply(message: Message, body: dict[str, Any]) -> None:
        if "content" in body:
            message.content = body["content"] or ""
        if "embeds" in body:
            message.embeds = body["embeds"] or []
        if "components" in body:
            message.components = body["components"] or []
        if "files" in body:
            message.files = body["files"]

    def _find(self, channel_id: str, message_id: str) -> Message:
        for message in self.messages:
            if message.channel_id == channel_id and message.id == message_id:
                return message
        raise ApiError(404, 10008, "Unknown Message")

    def _message_json(self, message: Message) -> dict[str, Any]:
        return {
            "id": message.id, "channel_id": message.channel_id or DROPS_CHANNEL,
            "author": BOT_USER, "content": message.content, "embeds": message.embeds,
            "components": message.components, "timestamp": now_iso(),
            "edited_timestamp": None, "tts": False, "mention_everyone": False,
            "mentions": [], "mention_roles": [], "attachments": [], "pinned": False,
            "type": 0, "flags": message.flags,
        }  # fmt: skip

    def _id(self) -> str:
        return str(1_000_000_000_000_000 + next(self._ids))

    @staticmethod
    def _role(
        role_id: str, name: str, position: int, permissions: int, *, managed: bool = False
    ) -> dict[str, Any]:
        return {"id": role_id, "name": name, "color": 0, "hoist": False, "icon": None,
                "unicode_emoji": None, "position": position, "permissions": str(permissions),
                "managed": managed, "mentionable": False, "flags": 0}  # fmt: skip


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """discord.py reads a body as JSON only when the content type is exactly this."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


MENTION = re.compile(r"<@(!|&)?([0-9]+)>|@(everyone|here)")


def _mention(found: re.Match[str]) -> tuple[str, str]:
    """A mention's kind as `allowed_mentions` names it, and who it is."""
    if found[3]:
        return "everyone", f"@{found[3]}"
    if found[1] == "&":
        return "roles", f"role:{found[2]}"
    return "users", f"user:{found[2]}"


def _checked(body: dict[str, Any]) -> None:
    form = Form()
    check_message(form, body)
    form.settle()


def _at(moment: str | None) -> float:
    return datetime.fromisoformat(moment).timestamp() if moment else float("inf")


def _too_many(message: str, wait: float = RETRY_AFTER, scope: str = "user") -> web.Response:
    """A 429 as Discord sends it: the wait in the body and in the rate-limit headers."""
    headers = {
        "Via": "1.1 google",  # discord.py's sign that Discord, not Cloudflare, said it
        "Retry-After": str(max(1, round(wait))),
        "X-RateLimit-Scope": scope,
    }
    if scope == "global":
        headers["X-RateLimit-Global"] = "true"
    else:
        headers |= {
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + wait:.3f}",
            "X-RateLimit-Reset-After": f"{wait:.3f}",
            "X-RateLimit-Bucket": "dropcast-peer",
        }
    return _json(
        {"message": message, "retry_after": round(wait, 3), "global": scope == "global"},
        429,
        headers=headers,
    )
