"""`/campaign`: DM campaigns from the server, written in a form (see `core.campaigns.forms`)."""

from __future__ import annotations

import discord
from discord import app_commands

from adapters import wording
from adapters.discord.admins import ADMIN_ONLY, admins_only
from adapters.discord.client import DropcastDiscord
from adapters.discord.fans import answer, core_of, say, think
from core.campaigns import forms
from core.campaigns.report import report
from core.campaigns.segments import Segment
from core.errors import DropcastError

campaign = app_commands.Group(
    name="campaign", description="DM campaigns", default_permissions=ADMIN_ONLY, guild_only=True
)


class NewCampaign(discord.ui.Modal, title="New campaign"):
    name: discord.ui.TextInput[NewCampaign] = discord.ui.TextInput(
        label="Name (for your reports)", max_length=120
    )
    to: discord.ui.TextInput[NewCampaign] = discord.ui.TextInput(
        label="To (filters; empty: every fan)",
        placeholder="listened=3 not_bought=2",
        required=False,
        max_length=200,
    )
    when: discord.ui.TextInput[NewCampaign] = discord.ui.TextInput(
        label="When: now, +2h, a date, after session 3 +15m", default="now", max_length=60
    )
    first: discord.ui.TextInput[NewCampaign] = discord.ui.TextInput(
        label="Message A: {name} {drop} {countdown} {link}",
        style=discord.TextStyle.paragraph,
        max_length=1000,
    )
    second: discord.ui.TextInput[NewCampaign] = discord.ui.TextInput(
        label="Message B (optional, for an A/B test)",
        style=discord.TextStyle.paragraph,
        required=False,
        max_length=1000,
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        core = core_of(interaction)
        client: DropcastDiscord = interaction.client  # type: ignore[assignment]
        await think(interaction)
        texts = [text for text in (self.first.value, self.second.value) if text.strip()]
        try:
            form = forms.CampaignForm(
                self.name.value,
                Segment.from_words(self.to.value),
                forms.parse_schedule(self.when.value, now=core.clock.now(), zone=client.zone),
                texts,
            )
            made = await core.campaigns.create_from(form)
        except DropcastError as error:
            await say(interaction, f"Not created: {error}. Nothing was saved.")
            return
        await say(interaction, wording.campaign_text(made)[:1900])


@campaign.command(name="create", description="A DM campaign: who, when, one or two messages")
@app_commands.check(admins_only)
async def create(interaction: discord.Interaction) -> None:
    await interaction.response.send_modal(NewCampaign())


@campaign.command(name="preview", description="How many fans a segment holds, before sending")
@app_commands.check(admins_only)
async def preview(interaction: discord.Interaction, filters: str = "") -> None:
    shown = core_of(interaction).campaigns.preview(filters)
    await answer(interaction, shown, wording.preview_text, refused="{}")


@campaign.command(name="show", description="What a campaign did, per variant")
@app_commands.check(admins_only)
async def show(interaction: discord.Interaction, number: int) -> None:
    await answer(interaction, report(core_of(interaction).campaigns, number), wording.report_text)


@campaign.command(name="cancel", description="Stop a campaign: what is queued is skipped")
@app_commands.check(admins_only)
async def cancel(interaction: discord.Interaction, number: int) -> None:
    cancelled = core_of(interaction).campaigns.cancel(number)
    await answer(interaction, cancelled, wording.campaign_text)
