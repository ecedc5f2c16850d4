"""A Discord guild or Telegram chat the creator connected."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from core.kinds import Platform
from core.models.drops import Drop
from core.models.live import LiveSession


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


class Post(Model):
    """Where a drop (or a live session) was announced in a community, so later changes edit
    that post in place."""

    id = fields.IntField(primary_key=True)
    community: fields.ForeignKeyRelation[Community] = fields.ForeignKeyField(
        "models.Community", related_name="posts", on_delete=fields.CASCADE
    )
    community_id: int
    drop: fields.ForeignKeyNullableRelation[Drop] = fields.ForeignKeyField(
        "models.Drop", related_name="posts", on_delete=fields.CASCADE, null=True
    )
    drop_id: int | None
    session: fields.ForeignKeyNullableRelation[LiveSession] = fields.ForeignKeyField(
        "models.LiveSession", related_name="posts", on_delete=fields.CASCADE, null=True
    )
    session_id: int | None
    message_ref = fields.CharField(max_length=64)
    event_ref = fields.CharField(max_length=64, null=True)  # a session's Discord event
    shown = fields.TextField(default="")  # the text last posted: unchanged text is not re-sent

    class Meta:
        table = "post"
        unique_together = (("community", "drop"), ("community", "session"))
