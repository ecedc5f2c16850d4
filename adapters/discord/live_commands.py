"""`/live …`: the creator's admins plan, start, mark and end live sessions."""

from __future__ import annotations

import discord
from discord import app_commands

from adapters import wording
from adapters.discord.admins import ADMIN_ONLY, admins_only
from adapters.discord.client import DropcastDiscord
from adapters.discord.fans import answer, core_of, think
from core.live.views import LiveView
from core.times import parse_when

live = app_commands.Group(
    name="live", description="Run live sessions", default_permissions=ADMIN_ONLY, guild_only=True
)


@live.command(name="schedule", description="Plan a session (posted with a countdown)")
@app_commands.check(admins_only)
@app_commands.describe(
    starts="When: +2h, in 30m, or 2026-12-04T20:00+01:00", drop="The drop it features"
)
async def live_schedule(
    interaction: discord.Interaction,
    title: str,
    starts: str,
    minutes: app_commands.Range[int, 5, 240] = 30,
    drop: int | None = None,
) -> None:
    core = core_of(interaction)
    client: DropcastDiscord = interaction.client  # type: ignore[assignment]
    await think(interaction)

    async def plan() -> LiveView:
        when = parse_when(starts, now=core.clock.now(), zone=client.zone)
        return await core.live.schedule(title, when, minutes=minutes, drop_id=drop)

    await answer(
        interaction,
        plan(),
        lambda session: (
            f"#{session.id} {session.title} is planned; "
            f"`/live start {session.id}` when you go on air."
        ),
    )


@live.command(name="start", description="Go live; listeners in the voice channel earn points")
@app_commands.check(admins_only)
async def live_start(
    interaction: discord.Interaction,
    number: int,
    channel: discord.VoiceChannel | discord.StageChannel,
) -> None:
    client: DropcastDiscord = interaction.client  # type: ignore[assignment]
    started = core_of(interaction).live.start(
        number,
        voice_channel_ref=str(channel.id),
        listening=client.listeners(interaction.guild, channel.id),
    )
    await answer(
        interaction, started, lambda session: f"{session.title} is live in {channel.mention}."
    )


@live.command(name="code", description="A code to say on air; fans /claim it for points")
@app_commands.check(admins_only)
async def live_code(interaction: discord.Interaction) -> None:
    await answer(
        interaction,
        core_of(interaction).attendance.new_code(),
        lambda code: f"Say this on air: {code} (valid 5 minutes). Fans send /claim {code}.",
        refused="{}: /live start it first.",
    )


@live.command(name="end", description="End the session and see what it did")
@app_commands.check(admins_only)
async def live_end(interaction: discord.Interaction, number: int) -> None:
    await answer(interaction, core_of(interaction).live.end(number), wording.live_summary_text)
