"""The slash commands, one module per group: a fan's (fan_commands), and the creator's
admins' `/drop …`, `/live …`, `/setup …`, `/campaign …` (Manage Server, or a role in
ADMIN_DISCORD_ROLE_IDS, checked on every use even if someone edits the commands' default
permissions away); and what a refused or failed command answers."""

from __future__ import annotations

from typing import Any

import discord
import structlog
from discord import app_commands

from adapters.discord import (
    campaigns,
    drop_commands,
    fan_commands,
    live_commands,
    membership_claims,
    membership_commands,
    plan_commands,
    privacy,
    scan_commands,
    setup_commands,
    token_commands,
)
from adapters.discord.admins import NOT_ADMIN
from adapters.discord.fans import say

log = structlog.get_logger(__name__)


async def on_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
    """A refused check or a mistyped argument gets its reason; anything else an apology,
    logged with the interaction id. The client itself never stops."""
    if isinstance(error, app_commands.CheckFailure):
        text = str(error) or NOT_ADMIN
    elif isinstance(error, app_commands.CommandNotFound):
        text = "I do not know that command (any more): /drops shows what is on."
    elif isinstance(error, app_commands.TransformerError):
        text = f"{error.value!r} is not a valid {error.type.name.lower()}."
    else:
        log.error("discord_command_failed", interaction_id=interaction.id, error=repr(error))
        text = "Sorry, something went wrong on our side; nothing was charged. Please try again."
    try:
        await say(interaction, text)
    except discord.HTTPException:
        log.warning("discord_answer_failed", interaction_id=interaction.id)


def register(tree: app_commands.CommandTree[Any]) -> None:
    commands: list[app_commands.Command[Any, Any, Any] | app_commands.Group] = [
        fan_commands.drops,
        fan_commands.buy,
        fan_commands.me,
        fan_commands.dm,
        fan_commands.link,
        fan_commands.shout_outs,
        fan_commands.claim,
        membership_claims.claim_membership,
        membership_commands.join,
        membership_commands.membership,
        live_commands.live,
        drop_commands.drop,
        setup_commands.setup,
        plan_commands.plan,
        campaigns.campaign,
        privacy.my_data,
        privacy.forget_me,
        setup_commands.dashboard,
        scan_commands.scan,
        token_commands.token,
    ]
    for command in commands:
        tree.add_command(command)
    tree.on_error = on_error  # type: ignore[method-assign]
