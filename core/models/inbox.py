"""Events that payment providers sent us, each kept once by its own id until handled."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ProviderEvent(Model):
    """Kept on arrival, handled after the provider has had its answer.

    A redelivery finds the row and is acknowledged without effect. `due_at` is when handling
    is next tried (NULL once handled), or the claim's lease while a worker handles it. The
    payload is dropped once handled, as it may name the buyer."""

    id = fields.IntField(primary_key=True)
    provider = fields.CharField(max_length=32)
    event_id = fields.CharField(max_length=255)
    kind = fields.CharField(max_length=100)
    received_at = fields.DatetimeField()
    payload = fields.TextField(null=True)
    due_at = fields.DatetimeField(null=True, db_index=True)
    attempts = fields.IntField(default=0)
    claimed_by = fields.CharField(max_length=64, null=True)  # the worker handling it now
    key = fields.CharField(max_length=128, null=True, db_index=True)  # handled in turn
    processed_at = fields.DatetimeField(null=True)
    outcome = fields.CharField(max_length=255, null=True)

    class Meta:
        table = "provider_event"
        unique_together = (("provider", "event_id"),)
