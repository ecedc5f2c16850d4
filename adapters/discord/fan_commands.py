"""A fan's slash commands: `/drops`, `/buy`, `/me`, `/dm`, `/shoutouts`, `/link`, `/claim`."""

from __future__ import annotations

import discord
from discord import app_commands

from adapters import wording
from adapters.discord import pickup_choice, render
from adapters.discord.fans import answer, core_of, say, think, who
from core.fans import choose_shout_outs, profile_of


@app_commands.command(description="What is open and coming up")
async def drops(interaction: discord.Interaction) -> None:
    """The drops as this fan sees them: a member, with their member prices."""
    shown = await core_of(interaction).holds.drops_for(
        who(interaction), ("scheduled", "open", "sold_out")
    )
    showing = shown.drops
    if not showing:
        await say(interaction, "Nothing is on right now. The next drop will be announced here.")
        return
    posts = [render.drop_post(drop.announcement(), shown.member) for drop in showing[:10]]
    embeds = [embed for embed, _ in posts]
    view = next((view for _, view in posts if view), None) if len(posts) == 1 else None
    await say(interaction, "What is on:", embeds=embeds, **({"view": view} if view else {}))


@app_commands.command(description="Hold a unit of an open drop and get your pay link")
@app_commands.describe(item="Start typing a drop or tier, then pick one")
async def buy(interaction: discord.Interaction, item: str) -> None:
    nothing = f"Nothing matches {item[:50]!r}: pick a tier from the list."
    if not item.isdigit():
        await say(interaction, nothing)
        return
    await pickup_choice.buy_or_ask(interaction, int(item), unknown=nothing)


@buy.autocomplete("item")
async def buy_choices(
    interaction: discord.Interaction, typed: str
) -> list[app_commands.Choice[str]]:
    """Open drops' tiers whose drop or tier name contains what was typed, and those the fan
    holds a unit of (to pay for it), sold out or not."""
    wanted = typed.casefold()
    shown = await core_of(interaction).holds.drops_for(who(interaction), ("open", "sold_out"))
    held, choices = shown.held, []
    for drop in shown.drops:
        for tier in drop.tiers:
            if drop.status != "open" and tier.id not in held:
                continue
            left = "held for you" if tier.id in held else f"{tier.available} left"
            # a choice's name is plain text: the struck public price in combining strokes
            price = wording.tier_price(
                tier.price, tier.member_price, tier.members_only, shown.member
            )
            label = f"{drop.title}: {tier.name} ({price}, {left})"
            if wanted in label.casefold():
                choices.append(app_commands.Choice(name=label[:100], value=str(tier.id)))
    return choices[:25]


@app_commands.command(description="Your tier, points, orders and perk tokens")
async def me(interaction: discord.Interaction) -> None:
    core = core_of(interaction)
    profile = await profile_of(who(interaction), core.keyring, pass_codes=core.pass_codes)
    await say(interaction, wording.profile_text(profile)[:1900])


@app_commands.command(description="Turn direct messages from me on or off")
@app_commands.choices(state=[app_commands.Choice(name="on", value="on"),
                             app_commands.Choice(name="off", value="off")])  # fmt: skip
async def dm(interaction: discord.Interaction, state: app_commands.Choice[str]) -> None:
    await think(interaction)
    on = state.value == "on"
    await core_of(interaction).consent.choose(who(interaction), on, f"/dm {state.value}")
    if on:
        await say(interaction, "DMs on: you will hear about drops you care about.")
    else:
        await say(interaction, "DMs off: only receipts for what you buy will reach you.")


@app_commands.command(name="shoutouts", description="May I congratulate you by name?")
@app_commands.choices(state=[app_commands.Choice(name="on", value="on"),
                             app_commands.Choice(name="off", value="off")])  # fmt: skip
async def shout_outs(interaction: discord.Interaction, state: app_commands.Choice[str]) -> None:
    named = state.value == "on"
    await choose_shout_outs(who(interaction), named)
    await say(interaction, wording.shout_out_choice(named))


@app_commands.command(description="Join this account with your Telegram one")
@app_commands.describe(code="A code /link gave you in Telegram; leave empty to get one here")
async def link(interaction: discord.Interaction, code: str | None = None) -> None:
    linking, fan = core_of(interaction).account_linking, who(interaction)
    if code is None:
        await say(interaction, wording.link_code_text(await linking.issue_as(fan), "Telegram"))
        return
    await answer(
        interaction,
        linking.redeem_as(code, fan),
        lambda _: wording.LINKED,
        refused="Not linked: {}.",
    )


@app_commands.command(description="Claim a code you heard on the live session")
async def claim(interaction: discord.Interaction, code: str) -> None:
    await answer(
        interaction,
        core_of(interaction).attendance.claim_as(code, who(interaction)),
        lambda points: f"Heard it! +{points} points. /me shows your total.",
    )
