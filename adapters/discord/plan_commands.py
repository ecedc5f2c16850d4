"""`/plan list|create|archive`: the creator's admins manage membership plans from Discord, as
`dropcast plan` does on the server. A plan's fields are read by the core's one reader of
what a creator types (core/memberships/plan_forms.py), so a price or a perk list means the
same here, in the CLI and in Telegram."""

from __future__ import annotations

import discord
from discord import app_commands

from adapters import wording
from adapters.discord.admins import ADMIN_ONLY, admins_only
from adapters.discord.fans import answer, core_of, say
from core.memberships.plan_forms import plan_spec
from core.memberships.plans import PlanView, list_plans

plan = app_commands.Group(
    name="plan",
    description="Membership plans",
    default_permissions=ADMIN_ONLY,
    guild_only=True,
)


@plan.command(name="list", description="Every plan, on sale or archived")
@app_commands.check(admins_only)
async def plan_list(interaction: discord.Interaction) -> None:
    plans = await list_plans()
    if not plans:
        await say(interaction, "No plans yet: /plan create makes one.")
        return
    await say(interaction, "\n".join(wording.plan_line(one) for one in plans)[:1900])


@plan.command(name="create", description="A membership plan: a price every month or year")
@app_commands.check(admins_only)
@app_commands.describe(
    name="What fans see, e.g. Backstage club",
    price="Charged every period through Stripe, e.g. 5.00 EUR",
    stars="The Telegram Stars price per 30 days, if sold there too",
    trial_days="Free days before the first payment",
    perks="Perk names members hold, separated by commas",
    early_access="Minutes before a drop opens that members may reserve",
)
@app_commands.choices(
    period=[app_commands.Choice(name="monthly", value="monthly"),
            app_commands.Choice(name="yearly", value="yearly")]
)  # fmt: skip
async def plan_create(
    interaction: discord.Interaction,
    name: str,
    price: str,
    period: app_commands.Choice[str] | None = None,
    stars: int | None = None,
    trial_days: int = 0,
    perks: str = "",
    early_access: int = 0,
) -> None:
    async def create() -> PlanView:
        spec = plan_spec(
            name,
            price,
            period=period.value if period else "monthly",
            stars=stars,
            trial_days=trial_days,
            perks=perks,
            early_access=early_access,
        )
        return await core_of(interaction).plans.create(spec)

    await answer(
        interaction,
        create(),
        lambda made: f"On sale: {wording.plan_line(made)}. Fans join with /join.",
        refused="Not created: {}.",
    )


@plan.command(name="archive", description="Stop selling a plan; its members keep it")
@app_commands.check(admins_only)
@app_commands.describe(plan_id="The plan to stop selling")
async def plan_archive(interaction: discord.Interaction, plan_id: int) -> None:
    await answer(
        interaction,
        core_of(interaction).plans.archive(plan_id),
        lambda done: f"Archived: {done.name} sells no more; its members keep it until they cancel.",
    )


@plan_archive.autocomplete("plan_id")
async def plans_on_sale(
    interaction: discord.Interaction, typed: str
) -> list[app_commands.Choice[int]]:
    wanted = typed.casefold()
    return [
        app_commands.Choice(name=f"#{one.id} {one.name}"[:100], value=one.id)
        for one in await list_plans(archived=False)
        if wanted in f"#{one.id} {one.name}".casefold()
    ][:25]
