"""`dropcast doctor` for Discord: the token, and in every connected server what a drop
needs of the bot: to post in the drop channel, to give every perk role, to create events.

REST only, as the CLI and clock use the client (`DropcastDiscord.rest`): the server, its
roles, the bot's member and the channel are fetched, and discord.py computes permissions
from them as the gateway's cache would (channel overwrites, role positions)."""

from __future__ import annotations

import aiohttp
import discord

from adapters.discord.client import DropcastDiscord
from adapters.discord.perks import missing_for
from config import Settings
from core.doctor import Check, Place, Severity, connected_perks, connected_places, failed, passed

TOKEN = "Discord token"
NEW_TOKEN = "copy a new token from the Developer Portal (Bot → Reset Token) into DISCORD_TOKEN"
INVITE = "invite the bot again (README: Connect Discord), then run /setup channel there"
SET_CHANNEL = "run /setup channel in your server, naming the channel drops go to"
# what a drop post needs in its channel, by discord.py's names for Discord's permissions
IN_CHANNEL = {"View Channel": "view_channel", "Send Messages": "send_messages",
              "Embed Links": "embed_links"}  # fmt: skip


async def discord_checks(settings: Settings, *, places: bool) -> list[Check]:
    """The token first; the servers only with a token that works and a database to read
    (`places`)."""
    client = DropcastDiscord(settings)
    try:
        try:
            await client.rest()  # GET /users/@me
        except discord.LoginFailure:
            return [failed(TOKEN, "Discord refused DISCORD_TOKEN", NEW_TOKEN)]
        except (aiohttp.ClientConnectionError, TimeoutError) as error:
            reason = f"cannot reach Discord ({type(error).__name__})"
            return [failed(TOKEN, reason, "check the network, and DISCORD_API_BASE_URL if set")]
        checks = [passed(TOKEN, f"logged in as {client.user}")]
        if places:
            checks += await _servers(client)
        return checks
    finally:
        await client.close()


async def _servers(client: DropcastDiscord) -> list[Check]:
    communities = await connected_places("discord")
    if not communities:
        return [failed("Discord server", "no server connected", INVITE)]
    checks = []
    for community in communities:
        checks += await _server(client, community)
    return checks


async def _server(client: DropcastDiscord, community: Place) -> list[Check]:
    name = f"Discord {community.name!r}"
    assert client.user is not None
    try:
        guild = await client.fetch_guild(int(community.ref), with_counts=False)
        me = await guild.fetch_member(client.user.id)
    except (discord.NotFound, discord.Forbidden) as error:
        return [failed(name, f"Discord says: {error.text}", INVITE)]
    guild._add_member(me)  # `guild.me`, as the gateway's cache would hold it
    return [
        await _drop_channel(guild, community, f"{name}: drop channel"),
        await _perk_roles(guild, f"{name}: perk roles"),
        _events(me, f"{name}: Create Events"),
        await _member_list(client, guild, f"{name}: member list"),
    ]


async def _drop_channel(guild: discord.Guild, community: Place, name: str) -> Check:
    if community.channel_ref is None:
        return failed(name, "no drop channel chosen", SET_CHANNEL)
    me = guild.me
    try:
        channel = await guild.fetch_channel(int(community.channel_ref))
    except discord.NotFound:
        return failed(name, "the drop channel is gone", SET_CHANNEL)
    except discord.Forbidden:
        missing = ["View Channel"]
        where = "the drop channel"
    else:
        held = channel.permissions_for(me)
        missing = [label for label, flag in IN_CHANNEL.items() if not getattr(held, flag)]
        where = f"#{channel.name}"
        if not missing:
            return passed(name, f"the bot can post drops in {where}")
    return failed(
        name,
        f"the bot lacks {', '.join(missing)} in {where}",
        f"give the {me.top_role.name} role {', '.join(missing)} in {where} "
        "(Edit Channel → Permissions)",
    )


async def _perk_roles(guild: discord.Guild, name: str) -> Check:
    """Every role a perk gives: the bot needs Manage Roles and its own top role above it;
    the fix is the one the running bot gives (adapters/discord/perks.py)."""
    perks = await connected_perks("discord", str(guild.id))
    fixes: list[str] = []
    for perk in perks:
        role = guild.get_role(int(perk.ref))
        problem = (
            f"the role of perk {perk.name!r} is gone: /setup perk {perk.name} with another role"
            if role is None
            else missing_for(guild, role)
        )
        if problem and problem not in fixes:
            fixes.append(problem)
    if fixes:
        return failed(name, "the bot cannot give every perk role", " ".join(fixes))
    return passed(name, f"the bot can give {len(perks)} perk role(s)")


async def _member_list(client: DropcastDiscord, guild: discord.Guild, name: str) -> Check:
    """The sweep and the access report read who holds each perk role from the server's
    member list, which Discord gives only with the Server Members Intent on: without it
    roles still come and go with payments, so this is a warning."""
    try:
        await client.http.get_members(guild.id, limit=1, after=None)
    except discord.Forbidden:
        return failed(
            name,
            "the bot cannot list members: a role removed by hand is not given back, and the"
            " access report cannot check roles",
            "switch on the Server Members Intent (Developer Portal → Bot → Privileged"
            " Gateway Intents)",
            Severity.WARNING,
        )
    return passed(name, "the bot can check who holds each perk role")


def _events(me: discord.Member, name: str) -> Check:
    """Live sessions are announced as Scheduled Events too; without the right they are
    announced all the same, so this is a warning."""
    held = me.guild_permissions
    if held.create_events or held.manage_events:
        return passed(name, "the bot can create events for live sessions")
    return failed(
        name,
        "live sessions get no Discord event",
        f"give the {me.top_role.name} role Create Events (Server Settings → Roles)",
        Severity.WARNING,
    )
