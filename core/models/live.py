"""Live audio sessions, the codes said on air, and who was there."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from core.kinds import LiveStatus
from core.models.drops import Drop
from core.models.fans import Fan


class LiveSession(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=120)
    starts_at = fields.DatetimeField()
    planned_minutes = fields.IntField(default=30)
    drop: fields.ForeignKeyNullableRelation[Drop] = fields.ForeignKeyField(
        "models.Drop", related_name="live_sessions", null=True, on_delete=fields.SET_NULL
    )
    drop_id: int | None
    status = fields.CharEnumField(LiveStatus, default=LiveStatus.SCHEDULED, max_length=16)
    voice_channel_ref = fields.CharField(max_length=64, null=True)  # where Discord listens
    # the communities it is announced in; empty means every connected one
    community_ids: list[int] = fields.JSONField(default=list)
    started_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)
    # when the creator was told the start time passed with the session not yet live
    nudged_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "live_session"
        indexes = (("started_at",),)  # for the analytics: the sessions before an order


class LiveCode(Model):
    """A short code the creator says on air: fans who send it in time earn points."""

    id = fields.IntField(primary_key=True)
    session: fields.ForeignKeyRelation[LiveSession] = fields.ForeignKeyField(
        "models.LiveSession", related_name="codes", on_delete=fields.CASCADE
    )
    session_id: int
    code = fields.CharField(max_length=16, unique=True)
    expires_at = fields.DatetimeField()

    class Meta:
        table = "live_code"


class Attendance(Model):
    """A fan who was at a session (checked in, claimed a code, or listened)."""

    id = fields.IntField(primary_key=True)
    session: fields.ForeignKeyRelation[LiveSession] = fields.ForeignKeyField(
        "models.LiveSession", related_name="attendance", on_delete=fields.CASCADE
    )
    session_id: int
    fan: fields.ForeignKeyRelation[Fan] = fields.ForeignKeyField(
        "models.Fan", related_name="attendance", on_delete=fields.CASCADE
    )
    fan_id: int
    first_seen_at = fields.DatetimeField()
    minutes = fields.IntField(default=0)  # listened, in intervals already closed
    listening_since = fields.DatetimeField(null=True)  # in the voice channel now

    class Meta:
        table = "attendance"
        unique_together = (("session", "fan"),)
        indexes = (("fan_id", "first_seen_at"),)


class Rsvp(Model):
    """A fan who said they will be there: each reminder is stamped once it went out."""

    id = fields.IntField(primary_key=True)
    session: fields.ForeignKeyRelation[LiveSession] = fields.ForeignKeyField(
        "models.LiveSession", related_name="rsvps", on_delete=fields.CASCADE
    )
    session_id: int
    fan: fields.ForeignKeyRelation[Fan] = fields.ForeignKeyField(
        "models.Fan", related_name="rsvps", on_delete=fields.CASCADE
    )
    fan_id: int
    created_at = fields.DatetimeField()
    reminded_day_at = fields.DatetimeField(null=True)
    reminded_soon_at = fields.DatetimeField(null=True)
    reminded_start_at = fields.DatetimeField(null=True)

    class Meta:
        table = "rsvp"
        unique_together = (("session", "fan"),)
        indexes = (("fan_id", "created_at"),)
