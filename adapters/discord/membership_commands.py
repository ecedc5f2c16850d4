"""A fan's membership on Discord: `/join` (a plan on sale, typed in part and picked; the
answer is a button to the fan's own Stripe Checkout page) and `/membership` (each plan they
hold, its state and dates, and a button to their own Stripe portal). Ephemeral, as every
fan answer here; a second subscription to a plan they hold is refused with their portal."""

from __future__ import annotations

import discord
from discord import app_commands

from adapters import wording
from adapters.discord.fans import core_of, say, think, who
from core.errors import AlreadyMember, DropcastError, ProviderUnreachable
from core.memberships.plans import list_plans

MOST_BUTTONS = 5  # discord.com/developers/docs/interactions/message-components: 5 per row


@app_commands.command(description="Become a member: pick a plan, pay on Stripe's page")
@app_commands.describe(plan="Start typing a plan's name, then pick one")
async def join(interaction: discord.Interaction, plan: str) -> None:
    await think(interaction)
    try:
        url = await core_of(interaction).joining.join(plan, who(interaction))
    except AlreadyMember as held:
        await say(interaction, f"{held}.", **_link("Manage membership", held.portal_url))
        return
    except (DropcastError, ProviderUnreachable) as refusal:
        await say(interaction, f"{refusal}.")
        return
    await say(
        interaction,
        "Here is your own link to Stripe's page for the plan; your membership starts when you"
        " subscribe there. /membership shows it afterwards.",
        **_link("Join", url),
    )


@join.autocomplete("plan")
async def plans_on_sale(
    interaction: discord.Interaction, typed: str
) -> list[app_commands.Choice[str]]:
    wanted = typed.casefold()
    choices = []
    for plan in await list_plans(archived=False):
        label = f"{plan.name} ({plan.price} / {wording.per(plan.period)})"
        if wanted in label.casefold():
            choices.append(app_commands.Choice(name=label[:100], value=str(plan.id)))
    return choices[:25]


@app_commands.command(description="Your membership: its state, dates and your portal")
async def membership(interaction: discord.Interaction) -> None:
    await think(interaction)
    held = await core_of(interaction).joining.standing(who(interaction))
    if not held:
        await say(interaction, wording.NO_MEMBERSHIP)
        return
    view = discord.ui.View(timeout=None)
    for one in held:
        if one.portal_url and len(view.children) < MOST_BUTTONS:
            label = f"Manage {one.plan}"[:80]
            view.add_item(discord.ui.Button(label=label, url=one.portal_url))
    text = "\n".join(wording.membership_text(one) for one in held)
    await say(interaction, text, view=view)


def _link(label: str, url: str | None) -> dict[str, discord.ui.View]:
    if not url:
        return {}
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label=label, url=url))
    return {"view": view}
