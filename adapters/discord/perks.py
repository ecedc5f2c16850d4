"""Roles as perks. Discord lets a bot give only roles below its own highest role, and only
with Manage Roles; both are checked before asking, and a creator is told what to change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import discord

from adapters.discord.client import DropcastDiscord
from core.fans import account_on
from core.kinds import Platform
from core.messages import PerkRef

# discord.com/developers/docs/resources/guild#list-guild-members: up to 1000 a page, paged
# by `after` (the highest user id of the page before)
MEMBERS_PAGE = 1000


class PerkNotGrantable(Exception):
    pass


def missing_for(guild: discord.Guild, role: discord.Role) -> str:
    """Why the bot cannot give `role` in `guild`, in words for the creator; "" if it can."""
    me = guild.me
    if not me.guild_permissions.manage_roles:
        return (
            f"give the {me.top_role.name} role the Manage Roles permission "
            "(Server Settings → Roles)."
        )
    if role >= me.top_role:
        return (
            f"drag the {me.top_role.name} role above {role.name} in Server Settings → Roles "
            "(a bot can only give roles below its own)."
        )
    if role.managed or role.is_default():
        return f"{role.name} is managed by Discord or an integration; pick another role."
    return ""


class DiscordPerks:
    """Roles by REST, so the web and clock processes give them too. Where the gateway's cache
    knows the server, what the bot lacks is said before asking; elsewhere Discord's refusal
    is."""

    def __init__(self, client: DropcastDiscord) -> None:
        self.client = client

    async def grant(self, fan_id: int, perk: PerkRef, replacing: str = "") -> str:
        user_id = await self._member(fan_id, perk)
        http = (await self.client.rest()).http
        try:
            await http.add_role(int(perk.place_ref), user_id, int(perk.ref), reason="Dropcast perk")
        except discord.NotFound as gone:
            raise PerkNotGrantable(_gone(perk)) from gone
        except discord.Forbidden as refused:
            raise PerkNotGrantable(
                f"Discord refused the role for {perk.title!r}: {refused.text} (the bot needs "
                "Manage Roles, and its own role above this one)"
            ) from refused
        return ""

    async def revoke(self, fan_id: int, perk: PerkRef, access: str) -> None:
        user_id = await self._member(fan_id, perk)
        http = (await self.client.rest()).http
        try:
            await http.remove_role(
                int(perk.place_ref), user_id, int(perk.ref), reason="Dropcast perk ended"
            )
        except discord.NotFound:  # the member left the server: nothing to take back
            return

    async def holding(self, perks: Sequence[PerkRef]) -> Mapping[int, frozenset[str]]:
        """Each role's members, from the server's member list (one pass per server). Discord
        lists members only to a bot with the Server Members Intent switched on in the
        Developer Portal; without it, Discord's refusal is raised for the report to show."""
        held: dict[int, frozenset[str]] = {}
        for guild_id in sorted({perk.place_ref for perk in perks}):
            members = await self._members(int(guild_id))
            for perk in perks:
                if perk.place_ref == guild_id:
                    held[perk.perk_id] = frozenset(
                        user for user, roles in members.items() if perk.ref in roles
                    )
        return held

    async def _members(self, guild_id: int) -> dict[str, set[str]]:
        http = (await self.client.rest()).http
        members: dict[str, set[str]] = {}
        after: int | None = None
        while True:
            page = await http.get_members(guild_id, limit=MEMBERS_PAGE, after=after)
            for member in page:
                members[str(member["user"]["id"])] = {str(role) for role in member["roles"]}
            if len(page) < MEMBERS_PAGE:
                return members
            after = max(int(member["user"]["id"]) for member in page)

    async def _member(self, fan_id: int, perk: PerkRef) -> int:
        account = await account_on(fan_id, Platform.DISCORD)
        if account is None:
            raise PerkNotGrantable(f"fan #{fan_id} has no Discord account")
        guild = self.client.get_guild(int(perk.place_ref))
        if guild is not None:
            role = guild.get_role(int(perk.ref))
            if role is None:
                raise PerkNotGrantable(_gone(perk))
            if problem := missing_for(guild, role):
                raise PerkNotGrantable(problem)
        return int(account.user_ref)


def _gone(perk: PerkRef) -> str:
    return f"the role for {perk.title!r} is gone from the server"
