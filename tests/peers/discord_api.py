"""A fake Discord (API v10 REST and gateway) on loopback that the real discord.py talks to.

REST answers in Discord's JSON shapes with `Content-Type: application/json` exactly, errors
as `{"code": …, "message": …}` (50007 cannot DM, 50013 missing permissions, 10062 unknown
interaction) and 429s the way discord.py retries them (a `Via` header, `retry_after` in the
body). The gateway is a websocket with text frames: HELLO, IDENTIFY, READY, GUILD_CREATE,
heartbeats, then whatever a test dispatches. Tests act as people through `run_command`,
`press`, `autocomplete` and `submit_modal`, and read what the bot did from `messages`,
`responses`, `dms` and `roles`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

APP_ID = "900000000000000001"
BOT_ID = "800000000000000001"
GUILD_ID = "700000000000000001"
DROPS_CHANNEL = "710000000000000001"
STAGE_CHANNEL = "710000000000000002"
OWNER = "600000000000000001"
BOT_USER = {"id": BOT_ID, "username": "Dropcast", "discriminator": "0", "global_name": None,
            "avatar": None, "bot": True, "flags": 0}  # fmt: skip
MANAGE_GUILD, MANAGE_ROLES, ADMINISTRATOR = 1 << 5, 1 << 28, 1 << 3
EVERYONE_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 31)  # view, send, use application commands


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


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
    url: str = ""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _sequence: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _identified: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None

    async def __aenter__(self) -> DiscordApi:
        self.roles = [
            self._role(GUILD_ID, "@everyone", 0, EVERYONE_PERMISSIONS),
            self._role("720000000000000001", "Dropcast", 5, MANAGE_ROLES, managed=True),
            self._role("720000000000000002", "Insider", 2, 0),
            self._role("720000000000000003", "Moderators", 9, MANAGE_GUILD),
        ]
        self.member_roles[BOT_ID] = {"720000000000000001"}
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
        async with asyncio.timeout(seconds), self._changed:
            await self._changed.wait_for(probe)
            return probe()

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
        state = {"guild_id": GUILD_ID, "channel_id": channel_id, "user_id": user_id,
                 "member": self.member(user_id), "session_id": f"voice-{user_id}",
                 "deaf": False, "mute": False, "self_deaf": False, "self_mute": False,
                 "self_video": False, "suppress": False,
                 "request_to_speak_timestamp": None}  # fmt: skip
        await self.dispatch("VOICE_STATE_UPDATE", state)

    async def bot_added_to(self, guild_id: str, name: str) -> None:
        """Someone adds the bot to another server while it runs."""
        guild = {**self._guild(), "id": guild_id, "name": name}
        del guild["unavailable"]  # Discord leaves it out for a server the bot just joined
        await self.dispatch("GUILD_CREATE", guild)

    def _guild(self) -> dict[str, Any]:
        channel = {"id": DROPS_CHANNEL, "type": 0, "guild_id": GUILD_ID, "name": "drops",
                   "position": 0, "permission_overwrites": [], "nsfw": False, "parent_id": None,
                   "topic": None, "rate_limit_per_user": 0, "last_message_id": None}  # fmt: skip
        stage = {"id": STAGE_CHANNEL, "type": 2, "guild_id": GUILD_ID, "name": "Live room",
                 "position": 1, "permission_overwrites": [], "nsfw": False, "parent_id": None,
                 "bitrate": 64000, "user_limit": 0, "rtc_region": None}  # fmt: skip
        bot_member = {"user": BOT_USER, "roles": sorted(self.member_roles[BOT_ID]),
                      "joined_at": now_iso(), "deaf": False, "mute": False, "flags": 0}  # fmt: skip
        return {
            "id": GUILD_ID, "name": "Fan Club", "icon": None, "owner_id": OWNER,
            "roles": self.roles, "channels": [channel, stage], "members": [bot_member],
            "member_count": 2, "emojis": [], "stickers": [], "features": [],
            "premium_tier": 0, "unavailable": False, "large": False, "joined_at": now_iso(),
            "voice_states": [], "threads": [], "stage_instances": [],
            "guild_scheduled_events": [], "presences": [], "preferred_locale": "en-US",
            "mfa_level": 0, "verification_level": 0, "explicit_content_filter": 0,
            "default_message_notifications": 0, "system_channel_flags": 0, "nsfw_level": 0,
            "afk_timeout": 300, "premium_subscription_count": 0,
        }  # fmt: skip

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
            "app_permissions": str(MANAGE_ROLES | EVERYONE_PERMISSIONS),
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
        await self.dispatch("INTERACTION_CREATE", payload)
        return interaction_id

    # REST -------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        # only interaction answers go without the bot's token (they carry their own)
        unsigned = path.startswith(("/webhooks/", "/interactions/"))
        if not unsigned and request.headers.get("Authorization") != f"Bot {self.token}":
            return _json({"code": 0, "message": "401: Unauthorized"}, 401)
        body: Any = None
        if request.content_type == "multipart/form-data":  # a message with files
            form = await request.post()
            body = json.loads(str(form["payload_json"]))
            body["files"] = [(f.filename, f.file.read()) for f in form.values()
                             if isinstance(f, web.FileField)]  # fmt: skip
        elif request.can_read_body:
            body = await request.json()
        try:
            self._injected_failure(request.method, path)
            result = await self._route(request.method, path, body or {})
        except ApiError as error:
            if error.status == 429:
                reply = {"message": error.message, "retry_after": 0.05, "global": False}
                return _json(reply, 429, headers={"Via": "1.1 google"})
            return _json({"code": error.code, "message": error.message}, error.status)
        finally:
            async with self._changed:
                self._changed.notify_all()
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
                return self._edit_original(token.removeprefix("token-"), body)
            case "POST", ["webhooks", _, token]:
                reply = self._new_message("", body)
                self.responses.setdefault(token.removeprefix("token-"), []).append(reply)
                return self._message_json(reply)
            case "POST", ["channels", channel, "messages"]:
                if channel in self.dm_channels and self.dm_channels[channel] in self.closed_dms:
                    self.refused_dms += 1
                    raise ApiError(403, 50007, "Cannot send messages to this user")
                message = self._new_message(channel, body)
                self.messages.append(message)
                return self._message_json(message)
            case "PATCH", ["channels", channel, "messages", message_id]:
                message = self._find(channel, message_id)
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
                return found
            case "POST", ["guilds", guild, "scheduled-events"]:
                event = {**body, "id": self._id(), "guild_id": guild, "status": 1,
                         "channel_id": None, "creator_id": BOT_ID, "user_count": 0}  # fmt: skip
                self.events[event["id"]] = event
                return event
            case "GET", ["guilds", _, "scheduled-events", event_id, "users"]:
                return [{"guild_scheduled_event_id": event_id, "user": self.member(user)["user"]}
                        for user in self.interested.get(event_id, [])]  # fmt: skip
            case "PATCH", ["guilds", _, "scheduled-events", event_id]:
                return self._move_event(event_id, body)
            case "PUT" | "DELETE", ["guilds", _, "members", user, "roles", role]:
                self._change_role(method, user, role)
                return None
        raise ApiError(404, 0, f"404: Not Found ({method} {path})")

    def _commands(self, scope: str, body: Any) -> list[dict[str, Any]]:
        self.commands[scope] = [
            {**command, "id": self._id(), "application_id": APP_ID, "version": "1",
             "guild_id": None if scope == "global" else scope,
             "default_member_permissions": command.get("default_member_permissions")}
            for command in body
        ]  # fmt: skip
        return self.commands[scope]

    def _callback(self, interaction: str, body: dict[str, Any]) -> dict[str, Any]:
        if interaction in self.callbacks:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        self.callbacks[interaction] = body
        kind, data = body["type"], {**(body.get("data") or {}), "files": body.get("files", [])}
        if kind in (4, 7):  # a message now (7: the component's message, updated)
            reply = self._new_message(DROPS_CHANNEL, data)
            self.responses.setdefault(interaction, []).append(reply)
        answer = {"id": interaction, "type": kind,
                  "response_message_loading": kind == 5,
                  "response_message_ephemeral": bool(data.get("flags", 0) & 64)}  # fmt: skip
        return {"interaction": answer, "resource": {"type": kind}}

    def _edit_original(self, interaction: str, body: dict[str, Any]) -> dict[str, Any]:
        replies = self.responses.setdefault(interaction, [])
        if not replies:  # the deferred "thinking" message becomes the answer
            callback = self.callbacks.get(interaction, {})
            flags = (callback.get("data") or {}).get("flags", 0)
            replies.append(self._new_message(DROPS_CHANNEL, {**body, "flags": flags}))
        else:
            self._apply(replies[0], body)
        return self._message_json(replies[0])

    def _move_event(self, event_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Discord's event lifecycle: scheduled → active → completed, or scheduled → canceled."""
        event = self.events.get(event_id)
        if event is None:
            raise ApiError(404, 10070, "Unknown Guild Scheduled Event")
        allowed = {1: {2, 4}, 2: {3}}
        if "status" in body and body["status"] not in allowed.get(event["status"], set()):
            raise ApiError(400, 180000, "Cannot update event status")
        event.update(body)
        return event

    def _change_role(self, method: str, user: str, role_id: str) -> None:
        role = next((r for r in self.roles if r["id"] == role_id), None)
        if role is None:
            raise ApiError(404, 10011, "Unknown Role")
        top = max(r["position"] for r in self.roles if r["id"] in self.member_roles[BOT_ID])
        if role["position"] >= top:
            raise ApiError(403, 50013, "Missing Permissions")
        held = self.member_roles.setdefault(user, set())
        if method == "PUT":
            held.add(role_id)
        else:
            held.discard(role_id)

    # plumbing ---------------------------------------------------------------------------

    def _new_message(self, channel_id: str, body: dict[str, Any]) -> Message:
        message = Message(self._id(), channel_id, "", [], [])
        self._apply(message, body)
        message.flags = int(body.get("flags") or 0)
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
