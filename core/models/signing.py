"""The installation's signing key: made once, on first use, shared by every process."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class SigningKey(Model):
    """One row (id 1). Whoever holds it can make pay links, perk tokens and pickup passes
    that Dropcast accepts, so it is a secret like the Stripe key: never logged or shown."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()

    class Meta:
        table = "signing_key"
