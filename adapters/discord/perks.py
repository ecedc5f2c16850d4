"""Roles as perks. Discord lets a bot give only roles below its own highest role, and only
with Manage Roles; both are checked before asking, and a creator is told what to change."""

from __future__ import annotations

import discord

from core.messages import PerkRef
from core.models import Platform, PlatformAccount


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
    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def grant(self, fan_id: int, perk: PerkRef, replacing: str = "") -> str:
        guild, role, user_id = await self._where(fan_id, perk)
        await self.client.http.add_role(guild.id, user_id, role.id, reason="Dropcast perk")
        return ""

    async def revoke(self, fan_id: int, perk: PerkRef, access: str) -> None:
        guild, role, user_id = await self._where(fan_id, perk)
        try:
            await self.client.http.remove_role(
                guild.id, user_id, role.id, reason="Dropcast perk ended"
            )
        except discord.NotFound:  # the member left the server: nothing to take back
            return

    async def _where(self, fan_id: int, perk: PerkRef) -> tuple[discord.Guild, discord.Role, int]:
        account = await PlatformAccount.get_or_none(fan_id=fan_id, platform=Platform.DISCORD)
        if account is None:
            raise PerkNotGrantable(f"fan #{fan_id} has no Discord account")
        guild = self.client.get_guild(int(perk.place_ref))
        role = guild.get_role(int(perk.ref)) if guild else None
        if guild is None or role is None:
            raise PerkNotGrantable(f"the role for {perk.title!r} is gone from the server")
        problem = missing_for(guild, role)
        if problem:
            raise PerkNotGrantable(problem)
        return guild, role, int(account.platform_user_id)
