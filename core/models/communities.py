"""A Discord guild or Telegram chat the creator connected."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from core.models.fans import Platform


class Community(Model):
    id = fields.IntField(primary_key=True)
    platform = fields.CharEnumField(Platform, max_length=16)
    platform_ref = fields.CharField(max_length=64)
    name = fields.CharField(max_length=100)
    announce_channel_ref = fields.CharField(max_length=64, null=True)
    tier_perks: dict[str, str] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "community"
        unique_together = (("platform", "platform_ref"),)
