"""Forms an admin fills in over several messages in the Telegram bot chat (`/newdrop`)."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class TelegramForm(Model):
    """One admin's form in progress, kept in the database rather than a process's memory.

    Whichever web process gets the admin's next answer takes the form up, before or after a
    restart. `answers` holds what was typed so far, as JSON (tiers as the text typed, parsed again
    when used); a form not moved on for an hour has expired."""

    user_id = fields.BigIntField(primary_key=True, generated=False)  # the admin's, on Telegram
    chat_id = fields.BigIntField()  # the chat the form is filled in
    step = fields.CharField(max_length=16)
    answers: dict[str, Any] = fields.JSONField(default=dict)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "telegram_form"
