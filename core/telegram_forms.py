"""An admin's form in the Telegram bot chat (`/newdrop`), read and written in the database at
every answer.

Why not python-telegram-bot's ConversationHandler with a BasePersistence: PTB reads the
persisted conversations (and user_data) once, at Application.initialize, decides which step
an update belongs to from its own dict in the synchronous check_update, and writes back only
every update_interval. Another web process, or this one after a restart, would answer from a
state that is out of date or gone. Here each answer reads the form's row, and each step is a
conditional update from the step it expects, so two handlings of one step move it once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.models import TelegramForm

LIFETIME = timedelta(hours=1)  # a form not moved on for this long is abandoned


@dataclass(frozen=True)
class Form:
    step: str
    answers: dict[str, Any]  # JSON: what was typed so far


async def begin(user_id: int, chat_id: int, step: str, now: datetime) -> None:
    """A new form, in place of any the admin left unfinished."""
    await TelegramForm.update_or_create(
        user_id=user_id,
        defaults={"chat_id": chat_id, "step": step, "answers": {}, "updated_at": now},
    )


async def current(user_id: int, chat_id: int, now: datetime) -> Form | None:
    """The admin's form in this chat, unless there is none or it expired."""
    await _expire(user_id, now)
    row = await TelegramForm.get_or_none(user_id=user_id, chat_id=chat_id)
    return None if row is None else Form(row.step, row.answers)


async def advance(user_id: int, form: Form, step: str, now: datetime, **answers: Any) -> bool:
    """The form moved on from `form.step` to `step` with more answers; False when it had
    moved on (or ended) meanwhile."""
    moved = await TelegramForm.filter(user_id=user_id, step=form.step).update(
        step=step, answers={**form.answers, **answers}, updated_at=now
    )
    return moved == 1


async def take(user_id: int, chat_id: int, step: str, now: datetime) -> Form | None:
    """The finished form at `step`, removed as it is taken: of two takers one gets it."""
    form = await current(user_id, chat_id, now)
    if form is None or form.step != step:
        return None
    taken = await TelegramForm.filter(user_id=user_id, step=step).delete()
    return form if taken else None


async def end(user_id: int, now: datetime) -> bool:
    """The admin's form dropped; False when there was none (or it had expired)."""
    await _expire(user_id, now)
    return await TelegramForm.filter(user_id=user_id).delete() > 0


async def _expire(user_id: int, now: datetime) -> None:
    await TelegramForm.filter(user_id=user_id, updated_at__lt=now - LIFETIME).delete()
