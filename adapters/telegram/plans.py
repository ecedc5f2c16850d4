"""The creator's admins manage membership plans in the bot chat, as `dropcast plan` does on
the server: `/plans` lists them, `/plan_create NAME | PRICE [| OPTIONS]` makes one (read by
the core's one reader of what a creator types, core/memberships/plan_forms.py),
`/plan_archive N` stops selling one."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from adapters import wording
from adapters.telegram.creators import NOT_ADMIN, is_admin
from adapters.telegram.fans import Context, answer, core_of, reply
from core.memberships.plan_forms import PLAN_LINE_HELP, parse_plan_line
from core.memberships.plans import PlanView, list_plans


async def plans(update: Update, context: Context) -> None:
    if not is_admin(update, context):
        await reply(update, NOT_ADMIN)
        return
    shown = await list_plans()
    if not shown:
        await reply(update, f"No plans yet. Make one: {PLAN_LINE_HELP}")
        return
    await reply(update, "\n".join(wording.plan_line(plan) for plan in shown)[:4000])


async def plan_create(update: Update, context: Context) -> None:
    if not is_admin(update, context):
        await reply(update, NOT_ADMIN)
        return
    message = update.effective_message
    text = (message.text or "").partition(" ")[2] if message else ""

    async def create() -> PlanView:
        return await core_of(context).plans.create(parse_plan_line(text))

    await answer(
        update,
        create(),
        lambda made: f"On sale: {wording.plan_line(made)}. Fans join with /join.",
        refused="Not created: {}.",
    )


async def plan_archive(update: Update, context: Context) -> None:
    if not is_admin(update, context):
        await reply(update, NOT_ADMIN)
        return
    args = context.args or []
    if len(args) != 1 or not args[0].isdigit():
        await reply(update, "Give the plan's number, e.g. /plan_archive 2 (/plans lists them)")
        return
    await answer(
        update,
        core_of(context).plans.archive(int(args[0])),
        lambda done: f"Archived: {done.name} sells no more; its members keep it until they cancel.",
    )


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The plan commands (each checks who asks)."""
    commands = {"plans": plans, "plan_create": plan_create, "plan_archive": plan_archive}
    return [CommandHandler(name, handler) for name, handler in commands.items()]
