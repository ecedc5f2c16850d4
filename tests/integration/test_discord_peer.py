"""The fake Discord refuses what Discord refuses, in Discord's words: each rule of
tests/peers/discord_api.py driven through discord.py's real `HTTPClient`, so each test also
shows what discord.py raises for it (its text flattens Discord's nested `errors`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import discord
import pytest
from discord.http import HTTPClient, Route

from adapters.memory import ManualClock
from tests.peers.discord_api import (
    BOT_ID,
    BOT_ROLE,
    CREATE_EVENTS,
    DROPS_CHANNEL,
    EMBED_LINKS,
    GLOBAL_PER_SECOND,
    GUILD_ID,
    SEND_MESSAGES,
    STAGE_CHANNEL,
    VIEW_CHANNEL,
    DiscordApi,
    Message,
)
from tests.peers.ticks import Ticks

FAN, INSIDER_ROLE, MODS_ROLE = "500000000000000001", "720000000000000002", "720000000000000003"
INVALID = "400 Bad Request (error code: 50035): Invalid Form Body\nIn "


@pytest.fixture
async def peer() -> AsyncIterator[DiscordApi]:
    clock = ManualClock()
    async with DiscordApi(now=lambda: clock.now().timestamp(), ticks=Ticks()) as api:
        yield api


@pytest.fixture
async def http(peer: DiscordApi, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[HTTPClient]:
    """discord.py's own HTTP client, logged in to the peer."""
    monkeypatch.setattr(Route, "BASE", f"{peer.api_base}/v10")
    client = HTTPClient(asyncio.get_running_loop())
    await client.static_login(peer.token)
    yield client
    await client.close()


def later(peer: DiscordApi, seconds: float) -> None:
    """Move Discord's calendar on."""
    now = peer.now()
    peer.now = lambda: now + seconds


def tick(peer: DiscordApi, seconds: float) -> None:
    assert isinstance(peer.ticks, Ticks)
    peer.ticks.value += seconds


async def post(http: HTTPClient, body: dict[str, Any], channel: str = DROPS_CHANNEL) -> Any:
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel)
    return await http.request(route, json=body)


async def refused(call: Any) -> discord.HTTPException:
    with pytest.raises(discord.HTTPException) as raised:
        await call
    return raised.value


def button(label: str = "Buy", custom_id: str = "dropcast:buy:1") -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": label, "custom_id": custom_id}


def row(*components: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(components)}


async def test_content_is_at_most_2000_characters(http):
    await post(http, {"content": "x" * 2000})
    error = await refused(post(http, {"content": "x" * 2001}))
    assert (error.status, error.code) == (400, 50035)
    assert str(error) == INVALID + "content: Must be 2000 or fewer in length."


@pytest.mark.parametrize(
    ("embed", "field", "limit"),
    [
        ({"title": "x" * 257}, "embeds.0.title", 256),
        ({"description": "x" * 4097}, "embeds.0.description", 4096),
        ({"fields": [{"name": "a", "value": "b"}] * 26}, "embeds.0.fields", 25),
        ({"fields": [{"name": "x" * 257, "value": "b"}]}, "embeds.0.fields.0.name", 256),
        ({"fields": [{"name": "a", "value": "x" * 1025}]}, "embeds.0.fields.0.value", 1024),
        ({"footer": {"text": "x" * 2049}}, "embeds.0.footer.text", 2048),
        ({"author": {"name": "x" * 257}}, "embeds.0.author.name", 256),
    ],
)
async def test_an_embed_keeps_discords_sizes(http, embed, field, limit):
    error = await refused(post(http, {"embeds": [embed]}))
    assert str(error) == INVALID + f"{field}: Must be {limit} or fewer in length."


async def test_a_messages_embeds_hold_6000_characters_together(http):
    full = {"description": "x" * 3000}
    await post(http, {"embeds": [full, full]})
    error = await refused(post(http, {"embeds": [full, full, {"title": "x"}]}))
    assert str(error) == INVALID + "embeds: Embed size exceeds maximum size of 6000"


@pytest.mark.parametrize(
    ("components", "problem"),
    [
        ([row(button("x" * 81))], "components.0.components.0.label: Must be 80 or fewer"),
        ([row(button(custom_id="x" * 101))], "components.0.components.0.custom_id: Must be 100"),
        ([row(button())] * 6, "components: Must be 5 or fewer"),
        ([row(*[button()] * 6)], "components.0.components: Must be between 1 and 5"),
        (
            [row({"type": 3, "custom_id": "pick", "options": [{"label": "a", "value": "a"}] * 26})],
            "components.0.components.0.options: Must be between 1 and 25",
        ),
    ],
)
async def test_components_keep_discords_sizes(http, components, problem):
    error = await refused(post(http, {"content": "hi", "components": components}))
    assert str(error).startswith(INVALID + problem)


async def callback(http: HTTPClient, interaction: str, body: dict[str, Any]) -> Any:
    route = Route(
        "POST",
        "/interactions/{interaction_id}/{interaction_token}/callback",
        interaction_id=interaction,
        interaction_token=f"token-{interaction}",
    )
    return await http.request(route, json=body)


async def follow_up(http: HTTPClient, interaction: str, text: str) -> Any:
    route = Route(
        "POST",
        "/webhooks/{application_id}/{interaction_token}",
        application_id="1",
        interaction_token=f"token-{interaction}",
    )
    return await http.request(route, json={"content": text})


async def test_a_modal_has_a_title_and_labels_of_at_most_45_characters(peer, http):
    interaction = await peer.run_command(FAN, "campaign create")
    field = {"type": 4, "style": 1, "custom_id": "when", "label": "x" * 46}
    modal = {"title": "x" * 46, "custom_id": "new", "components": [row(field)]}
    error = await refused(callback(http, interaction, {"type": 9, "data": modal}))
    assert str(error) == (
        INVALID + "data.title: Must be 45 or fewer in length.\n"
        "In data.components.0.components.0.label: Must be 45 or fewer in length."
    )


async def test_an_interaction_takes_one_first_answer_within_3_seconds(peer, http):
    answered = await peer.run_command(FAN, "drops")
    tick(peer, 3)
    await callback(http, answered, {"type": 5, "data": {"flags": 64}})
    twice = await refused(callback(http, answered, {"type": 4, "data": {"content": "again"}}))
    assert (twice.status, twice.code) == (400, 40060)
    assert twice.text == "Interaction has already been acknowledged."
    late = await peer.run_command(FAN, "drops")
    tick(peer, 3.01)
    with pytest.raises(discord.NotFound) as expired:
        await callback(http, late, {"type": 5})
    assert (expired.value.code, expired.value.text) == (10062, "Unknown interaction")


async def test_follow_ups_need_a_first_answer_and_last_15_minutes(peer, http):
    interaction = await peer.run_command(FAN, "drops")
    with pytest.raises(discord.NotFound) as early:
        await follow_up(http, interaction, "too soon")
    assert (early.value.code, early.value.text) == (10015, "Unknown Webhook")
    await callback(http, interaction, {"type": 5})
    tick(peer, 15 * 60)
    await follow_up(http, interaction, "in time")
    tick(peer, 1)
    error = await refused(follow_up(http, interaction, "too late"))
    assert (error.status, error.code, error.text) == (401, 50027, "Invalid Webhook Token")


async def test_posting_needs_view_channel_send_messages_and_embed_links_there(peer, http):
    bot_role = next(role for role in peer.roles if role["id"] == BOT_ROLE)
    bot_role["permissions"] = str(int(bot_role["permissions"]) & ~EMBED_LINKS)
    await post(http, {"content": "words pass"})
    with pytest.raises(discord.Forbidden) as no_embeds:
        await post(http, {"embeds": [{"title": "Winter drop"}]})
    assert (no_embeds.value.code, no_embeds.value.text) == (50013, "Missing Permissions")
    peer.deny(DROPS_CHANNEL, SEND_MESSAGES)  # @everyone may not write in #drops …
    assert (await refused(post(http, {"content": "hi"}))).code == 50013
    peer.overwrites[DROPS_CHANNEL].append(  # … but the bot's role may
        {"id": BOT_ROLE, "type": 0, "allow": str(SEND_MESSAGES), "deny": "0"}
    )
    await post(http, {"content": "hi"})
    peer.deny(DROPS_CHANNEL, VIEW_CHANNEL, to=BOT_ROLE)
    hidden = await refused(post(http, {"content": "hi"}))
    assert (hidden.status, hidden.code, hidden.text) == (403, 50001, "Missing Access")


async def test_a_bot_gives_only_roles_below_its_own_and_only_with_manage_roles(peer, http):
    await http.add_role(GUILD_ID, FAN, INSIDER_ROLE)
    assert INSIDER_ROLE in peer.member_roles[FAN]
    above = await refused(http.add_role(GUILD_ID, FAN, MODS_ROLE))
    assert (above.status, above.code, above.text) == (403, 50013, "Missing Permissions")
    next(role for role in peer.roles if role["id"] == BOT_ROLE)["permissions"] = "0"
    assert (await refused(http.remove_role(GUILD_ID, FAN, INSIDER_ROLE))).code == 50013


def external(peer: DiscordApi, **changes: Any) -> dict[str, Any]:
    start = peer.now() + 3600
    return {
        "name": "Friday listening",
        "privacy_level": 2,
        "entity_type": 3,
        "scheduled_start_time": datetime.fromtimestamp(start, UTC).isoformat(),
        "scheduled_end_time": datetime.fromtimestamp(start + 1800, UTC).isoformat(),
        "entity_metadata": {"location": "Here"},
    } | changes


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"entity_metadata": None}, "entity_metadata.location"),
        ({"scheduled_end_time": None}, "scheduled_end_time"),
        ({"entity_type": 2, "entity_metadata": None}, "channel_id"),
    ],
)
async def test_an_event_has_the_fields_its_kind_needs(peer, http, changes, field):
    body = external(peer) | changes
    error = await refused(http.create_guild_scheduled_event(GUILD_ID, **body))
    assert str(error) == INVALID + f"{field}: This field is required"


async def test_events_need_create_events(peer, http):
    bot_role = next(role for role in peer.roles if role["id"] == BOT_ROLE)
    bot_role["permissions"] = str(int(bot_role["permissions"]) & ~CREATE_EVENTS)
    with pytest.raises(discord.Forbidden) as refused_event:
        await http.create_guild_scheduled_event(GUILD_ID, **external(peer))
    assert refused_event.value.code == 50013


async def test_an_external_event_starts_and_completes_by_itself_then_cannot_change(peer, http):
    event = await http.create_guild_scheduled_event(GUILD_ID, **external(peer))
    event_id = int(event["id"])
    skipping = await refused(http.edit_scheduled_event(GUILD_ID, event_id, status=3))
    assert str(skipping) == INVALID + "status: Value must be one of {2, 4}."
    later(peer, 3600)
    assert (await http.get_scheduled_event(GUILD_ID, event_id, False))["status"] == 2
    again = await refused(http.edit_scheduled_event(GUILD_ID, event_id, status=2))
    assert str(again) == INVALID + "status: Value must be one of {3}."
    await http.edit_scheduled_event(GUILD_ID, event_id, channel_id=STAGE_CHANNEL,
                                    entity_type=2, entity_metadata=None)  # fmt: skip
    later(peer, 3600 + 1800)  # a room's event does not end by itself
    assert (await http.get_scheduled_event(GUILD_ID, event_id, False))["status"] == 2
    other = await http.create_guild_scheduled_event(GUILD_ID, **external(peer))
    later(peer, 2 * 3600 + 1800)
    assert peer.calendar()[other["id"]]["status"] == 3
    for finished in (event_id, int(other["id"])):
        if peer.events[str(finished)]["status"] != 3:
            await http.edit_scheduled_event(GUILD_ID, finished, status=3)
        error = await refused(http.edit_scheduled_event(GUILD_ID, finished, name="Again"))
        assert (error.status, error.code, error.text) == (
            400,
            180000,
            "Cannot update a finished event",
        )


async def test_what_would_ping_follows_allowed_mentions_and_mention_everyone(peer, http):
    text = f"<@{FAN}> <@&{INSIDER_ROLE}> @everyone"
    await post(http, {"content": text})
    await post(http, {"content": text, "allowed_mentions": {"parse": []}})
    await post(http, {"content": text, "allowed_mentions": {"parse": [], "users": [FAN]}})
    next(role for role in peer.roles if role["id"] == BOT_ROLE)["permissions"] = str(1 << 3)
    await post(http, {"content": text})
    pinged = [message.pings for message in peer.in_channel(DROPS_CHANNEL)]
    assert pinged == [
        [f"user:{FAN}"],  # @everyone and a role not marked mentionable need Mention Everyone
        [],
        [f"user:{FAN}"],
        [f"user:{FAN}", f"role:{INSIDER_ROLE}", "@everyone"],
    ]


async def test_a_fan_with_closed_dms_cannot_be_messaged(peer, http):
    peer.closed_dms.add(FAN)
    channel = await http.start_private_message(int(FAN))
    with pytest.raises(discord.Forbidden) as closed:
        await post(http, {"content": "hello"}, channel=channel["id"])
    assert (closed.value.code, closed.value.text) == (50007, "Cannot send messages to this user")
    assert peer.refused_dms == 1


async def test_a_429_is_waited_out_by_discord_py(peer, http):
    peer.rate_limit_next("POST", "/messages")
    began = time.monotonic()
    await post(http, {"content": "after the wait"})
    assert time.monotonic() - began >= 0.05  # retry_after, from the body
    assert peer.in_channel(DROPS_CHANNEL)[-1].content == "after the wait"


async def test_past_50_calls_a_second_the_bot_is_globally_limited_but_not_its_answers(peer):
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {peer.token}"}) as raw:
        replies = await asyncio.gather(*(raw.get(f"{peer.api_base}/v10/users/@me")
                                         for _ in range(GLOBAL_PER_SECOND + 5)))  # fmt: skip
        limited = [reply for reply in replies if reply.status == 429]
        assert len(limited) == 5 == peer.globally_limited
        body = await limited[0].json()
        assert (body["message"], body["global"]) == ("You are being rate limited.", True)
        assert 0 < body["retry_after"] <= 1
        assert limited[0].headers["X-RateLimit-Scope"] == "global"
        # an interaction's answer does not count against it
        post = Message("1", DROPS_CHANNEL, "", [], [{"type": 1, "components": [button()]}])
        interaction = await peer.press(FAN, post, "dropcast:buy:1")
        answer = {"type": 4, "data": {"content": "Held"}}
        url = f"{peer.api_base}/v10/interactions/{interaction}/token-{interaction}/callback"
        async with raw.post(url, json=answer) as reply:
            assert reply.status == 200


async def test_discord_py_waits_out_the_global_limit(peer, http):
    began = time.monotonic()
    await asyncio.gather(*(http.get_guild(int(GUILD_ID)) for _ in range(GLOBAL_PER_SECOND + 1)))
    assert peer.globally_limited >= 1
    assert time.monotonic() - began < 3  # waited the window out, once


async def test_every_call_takes_the_latency_it_is_given(peer, http):
    peer.latency = (0.1, 0.1)
    began = time.monotonic()
    await post(http, {"content": "slow"})
    assert time.monotonic() - began >= 0.1


async def test_who_is_in_voice_comes_with_the_server_at_connect(peer):
    await peer.voice(FAN, STAGE_CHANNEL)
    guild = peer._guild()
    assert [(s["user_id"], s["channel_id"]) for s in guild["voice_states"]] == [
        (FAN, STAGE_CHANNEL)
    ]
    assert FAN in [member["user"]["id"] for member in guild["members"]]


async def test_a_server_by_rest_has_its_roles_and_the_bot_its_member_and_guilds(peer, http):
    guild = await http.get_guild(int(GUILD_ID))
    assert [role["name"] for role in guild["roles"]][:2] == ["@everyone", "Dropcast"]
    assert not {"channels", "members"} & set(guild)  # GUILD_CREATE carries those
    assert await http.get_roles(int(GUILD_ID)) == guild["roles"]
    member = await http.get_member(int(GUILD_ID), int(BOT_ID))
    assert (member["user"]["id"], member["roles"]) == (BOT_ID, [BOT_ROLE])
    [partial] = await http.get_guilds(100)
    assert (partial["id"], int(partial["permissions"]) & CREATE_EVENTS) == (GUILD_ID, CREATE_EVENTS)


async def test_a_server_the_bot_is_not_in_and_a_member_it_lacks_are_unknown(peer, http):
    assert (await refused(http.get_guild(42))).code == 10004
    assert (await refused(http.get_member(int(GUILD_ID), int(FAN)))).code == 10007


async def test_listing_members_needs_the_members_intent_and_pages_by_user_id(peer, http):
    assert (await refused(http.get_members(int(GUILD_ID), 10, None))).code == 50001
    peer.members_intent = True
    users = [str(500000000000000010 + n) for n in range(5)]
    for user in users:
        peer.member_roles[user] = {INSIDER_ROLE}
    first = await http.get_members(int(GUILD_ID), 3, None)
    last = max(int(member["user"]["id"]) for member in first)
    rest = await http.get_members(int(GUILD_ID), 1000, last)
    listed = [member["user"]["id"] for member in [*first, *rest]]
    assert sorted(listed, key=int) == listed == sorted([*users, BOT_ID], key=int)
    assert rest[0]["roles"] == [INSIDER_ROLE]
    for limit, words in ((0, "greater than or equal to 1"), (1001, "less than or equal to 1000")):
        with pytest.raises(discord.HTTPException, match=words) as bad:
            await http.get_members(int(GUILD_ID), limit, None)
        assert bad.value.code == 50035
