"""One send schedule per platform token, shared by every process (core/pace.py)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class SendPace(Model):
    """When the next message may go out with this token, in seconds since the epoch."""

    key = fields.CharField(max_length=64, primary_key=True)  # "telegram:<bot id>"
    free_at = fields.FloatField()

    class Meta:
        table = "send_pace"
