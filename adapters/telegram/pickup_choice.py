"""Buy on a physical tier of a drop with pop-ups: the fan first chooses "Ship to me" or a
pop-up (`pick:<tier>:<pop-up>` from `render.pickup_buttons`), then holds as a plain Buy
does."""

from __future__ import annotations

import re
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from adapters.telegram.fans import HELD, Context, core_of, offer_payment, who
from adapters.telegram.render import SHIP
from core.errors import DropcastError

PICKED = re.compile(r"pick:([0-9]{1,12}):([0-9]{1,12})")


async def picked(update: Update, context: Context) -> None:
    """A choice made: hold with it, answered at once; the offer follows as after Buy."""
    query = update.callback_query
    assert query is not None
    found = PICKED.fullmatch(query.data or "")
    if found is None:
        await query.answer("That button is out of date. /drops shows what is on.")
        return
    tier_id, pop_up_id = int(found[1]), int(found[2])
    try:
        hold = await core_of(context).holds.buy(
            tier_id, who(update), pop_up_id=None if pop_up_id == SHIP else pop_up_id
        )
    except DropcastError as refusal:  # the window ended, sold out, over the limit
        await query.answer(str(refusal)[:200], show_alert=True)
        return
    await query.answer(HELD)
    context.application.create_task(offer_payment(update, context, hold), update)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [CallbackQueryHandler(picked, "^pick:")]
