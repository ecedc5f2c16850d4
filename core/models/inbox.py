"""Events that payment providers sent us, each recorded once by its own id."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ProviderEvent(Model):
    """A redelivery finds the row already processed and is acknowledged without effect."""

    id = fields.IntField(primary_key=True)
    provider = fields.CharField(max_length=32)
    event_id = fields.CharField(max_length=255)
    kind = fields.CharField(max_length=100)
    received_at = fields.DatetimeField()
    processed_at = fields.DatetimeField(null=True)
    outcome = fields.CharField(max_length=255, null=True)

    class Meta:
        table = "provider_event"
        unique_together = (("provider", "event_id"),)
