"""Keys to the creator's dashboard: one-time links and login sessions."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class DashboardKey(Model):
    """A token, kept only as its SHA-256 digest: a copy of the database opens nothing."""

    id = fields.IntField(primary_key=True)
    digest = fields.CharField(max_length=64, unique=True)
    kind = fields.CharField(max_length=16)  # "link" (works once) or "session"
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)  # a link once used, a session once logged out

    class Meta:
        table = "dashboard_key"
