"""The slash commands: `/drops`, `/buy`, `/me`, `/dm` for fans; `/drop …` and `/setup …` for
the creator's admins (Manage Server, or a role in ADMIN_DISCORD_ROLE_IDS), checked on every
use even if someone edits the commands' default permissions away."""

from __future__ import annotations

from typing import Any

import discord
import structlog
from discord import app_commands

from adapters import wording
from adapters.discord import campaigns, fans, privacy, render
from adapters.discord.admins import ADMIN_ONLY, NOT_ADMIN, admins_only
from adapters.discord.client import DropcastDiscord, connect
from adapters.discord.fans import answer, core_of, fan_of, say, think
from adapters.discord.perks import missing_for
from core.drops.specs import parse_tiers
from core.drops.views import list_drops
from core.errors import DropcastError
from core.fans import profile
from core.live import LiveView
from core.models import DropTier, Fan, FanTier, Platform, Post
from core.times import parse_opening, parse_when

log = structlog.get_logger(__name__)


@app_commands.command(description="What is open and coming up")
async def drops(interaction: discord.Interaction) -> None:
    showing = await list_drops(("scheduled", "open", "sold_out"))
    if not showing:
        await say(interaction, "Nothing is on right now. The next drop will be announced here.")
        return
    posts = [render.drop_post(drop.announcement()) for drop in showing[:10]]
    embeds = [embed for embed, _ in posts]
    view = next((view for _, view in posts if view), None) if len(posts) == 1 else None
    await say(interaction, "What is on:", embeds=embeds, **({"view": view} if view else {}))


@app_commands.command(description="Hold a unit of an open drop and get your pay link")
@app_commands.describe(item="Start typing a drop or tier, then pick one")
async def buy(interaction: discord.Interaction, item: str) -> None:
    if not item.isdigit() or not await DropTier.filter(id=int(item)).exists():
        await say(interaction, f"Nothing matches {item[:50]!r}: pick a tier from the list.")
        return
    await fans.buy(interaction, int(item))


@buy.autocomplete("item")
async def buy_choices(
    interaction: discord.Interaction, typed: str
) -> list[app_commands.Choice[str]]:
    """Open drops' tiers whose drop or tier name contains what was typed, and those the fan
    holds a unit of (to pay for it), sold out or not."""
    wanted = typed.casefold()
    held = await core_of(interaction).holds.held_tiers(await fan_of(interaction))
    choices = []
    for drop in await list_drops(("open", "sold_out")):
        for tier in drop.tiers:
            if drop.status != "open" and tier.id not in held:
                continue
            left = "held for you" if tier.id in held else f"{tier.available} left"
            label = f"{drop.title}: {tier.name} ({tier.price}, {left})"
            if wanted in label.casefold():
                choices.append(app_commands.Choice(name=label[:100], value=str(tier.id)))
    return choices[:25]


@app_commands.command(description="Your tier, points and orders")
async def me(interaction: discord.Interaction) -> None:
    await say(interaction, wording.profile_text(await profile(await fan_of(interaction)))[:1900])


@app_commands.command(description="Turn direct messages from me on or off")
@app_commands.choices(state=[app_commands.Choice(name="on", value="on"),
                             app_commands.Choice(name="off", value="off")])  # fmt: skip
async def dm(interaction: discord.Interaction, state: app_commands.Choice[str]) -> None:
    await think(interaction)
    fan_id, consent = await fan_of(interaction), core_of(interaction).consent
    if state.value == "on":
        await consent.give(fan_id, Platform.DISCORD, "/dm on")
        await say(interaction, "DMs on: you will hear about drops you care about.")
    else:
        await consent.withdraw(fan_id, Platform.DISCORD, "/dm off")
        await say(interaction, "DMs off: only receipts for what you buy will reach you.")


@app_commands.command(name="shoutouts", description="May I congratulate you by name?")
@app_commands.choices(state=[app_commands.Choice(name="on", value="on"),
                             app_commands.Choice(name="off", value="off")])  # fmt: skip
async def shout_outs(interaction: discord.Interaction, state: app_commands.Choice[str]) -> None:
    named = state.value == "on"
    await Fan.filter(id=await fan_of(interaction)).update(named_in_shout_outs=named)
    await say(interaction, wording.shout_out_choice(named))


@app_commands.command(description="Join this account with your Telegram one")
@app_commands.describe(code="A code /link gave you in Telegram; leave empty to get one here")
async def link(interaction: discord.Interaction, code: str | None = None) -> None:
    core, fan_id = core_of(interaction), await fan_of(interaction)
    if code is None:
        await say(interaction, wording.link_code_text(await core.linking.issue(fan_id), "Telegram"))
        return
    await answer(
        interaction,
        core.linking.redeem(code, fan_id),
        lambda _: wording.LINKED,
        refused="Not linked: {}.",
    )


@app_commands.command(description="Claim a code you heard on the live session")
async def claim(interaction: discord.Interaction, code: str) -> None:
    await answer(
        interaction,
        core_of(interaction).live.claim(code, await fan_of(interaction)),
        lambda points: f"Heard it! +{points} points. /me shows your total.",
    )


@app_commands.command(description="A one-time link to your dashboard (only you see it)")
@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
@app_commands.check(admins_only)
async def dashboard(interaction: discord.Interaction) -> None:
    link = await core_of(interaction).dashboard.new_link()
    await say(interaction, wording.dashboard_text(link))


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
    assert interaction.guild is not None

    async def go_live() -> LiveView:
        session = await core_of(interaction).live.start(number, voice_channel_ref=str(channel.id))
        await client.count_listeners(interaction.guild, channel.id)
        return session

    await answer(
        interaction, go_live(), lambda session: f"{session.title} is live in {channel.mention}."
    )


@live.command(name="code", description="A code to say on air; fans /claim it for points")
@app_commands.check(admins_only)
async def live_code(interaction: discord.Interaction) -> None:
    await answer(
        interaction,
        core_of(interaction).live.new_code(),
        lambda code: f"Say this on air: {code} (valid 5 minutes). Fans send /claim {code}.",
        refused="{}: /live start it first.",
    )


@live.command(name="end", description="End the session and see what it did")
@app_commands.check(admins_only)
async def live_end(interaction: discord.Interaction, number: int) -> None:
    await answer(interaction, core_of(interaction).live.end(number), wording.live_summary_text)


drop = app_commands.Group(
    name="drop", description="Run drops", default_permissions=ADMIN_ONLY, guild_only=True
)


class NewDrop(discord.ui.Modal, title="New drop"):
    name: discord.ui.TextInput[NewDrop] = discord.ui.TextInput(label="Title", max_length=120)
    tiers: discord.ui.TextInput[NewDrop] = discord.ui.TextInput(
        label="Tiers, one per line",
        style=discord.TextStyle.paragraph,
        placeholder="name=Print, price=25.00 EUR, stock=20, kind=physical",
        max_length=2000,
    )
    opens: discord.ui.TextInput[NewDrop] = discord.ui.TextInput(
        label="Opens: now, +30m, or 2026-12-01T18:00+01:00", default="now", max_length=40
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        core = core_of(interaction)
        client: DropcastDiscord = interaction.client  # type: ignore[assignment]
        await think(interaction)  # a drop opening now is announced: Discord's work
        try:
            tiers = parse_tiers(self.tiers.value)
            opens_at = parse_opening(self.opens.value, now=core.clock.now(), zone=client.zone)
            made = await core.drops.launch(self.name.value, tiers, opens_at)
        except DropcastError as error:
            await say(
                interaction, f"Not created: {error}. Nothing was saved; run /drop create again."
            )
            return
        await say(
            interaction, f"Drop #{made.id} is {made.status}. `/drop announce {made.id}` posts it."
        )


@drop.command(name="create", description="Make a drop: title, tiers, opening time")
@app_commands.check(admins_only)
async def drop_create(interaction: discord.Interaction) -> None:
    await interaction.response.send_modal(NewDrop())


@drop.command(name="open", description="Open a drop now")
@app_commands.check(admins_only)
async def drop_open(interaction: discord.Interaction, number: int) -> None:
    await _drive(interaction, core_of(interaction).drops.open(number), "is open")


@drop.command(name="close", description="Stop selling a drop")
@app_commands.check(admins_only)
async def drop_close(interaction: discord.Interaction, number: int) -> None:
    await _drive(interaction, core_of(interaction).drops.close(number), "is closed")


@drop.command(name="announce", description="Post a drop (edited in place as it changes)")
@app_commands.check(admins_only)
async def drop_announce(
    interaction: discord.Interaction, number: int, channel: discord.TextChannel | None = None
) -> None:
    assert interaction.guild is not None
    if channel is not None:
        await _set_channel(interaction, channel)
    await think(interaction)
    try:
        view = await core_of(interaction).drops.announce(number)
    except DropcastError as error:
        await say(interaction, f"{error}.")
        return
    community = await connect(interaction.guild)
    if await Post.filter(community_id=community.id, drop_id=number).exists():
        await say(interaction, f"{view.title} is announced.")
    elif community.announce_channel_ref is None:
        await say(interaction, "Choose where drops are announced first: /setup channel.")
    else:  # Discord refused the post (50013): the bus logged it
        await say(
            interaction,
            f"I could not post in <#{community.announce_channel_ref}>: give me View Channel, "
            "Send Messages and Embed Links there, then announce again.",
        )


async def _drive(interaction: discord.Interaction, action: Any, done: str) -> None:
    await answer(interaction, action, lambda view: f"{view.title} {done}.")


setup = app_commands.Group(
    name="setup", description="Connect this server", default_permissions=ADMIN_ONLY, guild_only=True
)


@setup.command(name="channel", description="Where drops are announced")
@app_commands.check(admins_only)
async def setup_channel(interaction: discord.Interaction, channel: discord.TextChannel) -> None:
    await _set_channel(interaction, channel)
    await say(interaction, f"Drops will be announced in {channel.mention}.")


@setup.command(name="perk", description="Name a role that a drop's tier can give its buyers")
@app_commands.check(admins_only)
async def setup_perk(interaction: discord.Interaction, name: str, role: discord.Role) -> None:
    assert interaction.guild is not None
    await think(interaction)
    problem = missing_for(interaction.guild, role)
    if problem:
        await say(interaction, f"Not yet: {problem}")
        return
    try:
        perk = await core_of(interaction).perks.register(
            name, role.name, Platform.DISCORD, str(interaction.guild.id), str(role.id)
        )
    except DropcastError as error:
        await say(interaction, f"{error}.")
        return
    await say(
        interaction,
        f"The perk {perk.name!r} is the role {role.mention}: a tier with perk={perk.name} "
        "gives it to each buyer, and a refund takes it back.",
    )


@setup.command(name="tier", description="Give a perk to every fan at a tier or above")
@app_commands.check(admins_only)
@app_commands.choices(
    tier=[app_commands.Choice(name=t.value.replace("_", " "), value=t.value) for t in FanTier]
    + [app_commands.Choice(name="none (buyers only)", value="none")]
)
async def setup_tier(
    interaction: discord.Interaction, perk: str, tier: app_commands.Choice[str]
) -> None:
    wanted = None if tier.value == "none" else tier.value
    held_by = f"fans at {tier.name} or above" if wanted else "buyers of tiers with it only"
    await answer(
        interaction,
        core_of(interaction).perks.for_tier(perk, wanted),
        lambda changed: f"{changed.title} is now held by {held_by}.",
    )


async def _set_channel(interaction: discord.Interaction, channel: discord.TextChannel) -> None:
    assert interaction.guild is not None
    community = await connect(interaction.guild)
    community.announce_channel_ref = str(channel.id)
    await community.save(update_fields=["announce_channel_ref"])


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
        drops,
        buy,
        me,
        dm,
        link,
        shout_outs,
        claim,
        live,
        drop,
        setup,
        campaigns.campaign,
        privacy.my_data,
        privacy.forget_me,
        dashboard,
    ]
    for command in commands:
        tree.add_command(command)
    tree.on_error = on_error  # type: ignore[method-assign]
