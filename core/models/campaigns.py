"""Campaigns: a segment, one or more message variants, a schedule, and the outbox of
deliveries that carries them to fans at each platform's pace."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from core.kinds import Automatic, CampaignStatus, DeliveryStatus, Platform
from core.models.drops import Drop
from core.models.fans import Fan
from core.models.live import LiveSession


class Campaign(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=120)
    segment: dict[str, object] = fields.JSONField(default=dict)  # a Segment's fields
    drop: fields.ForeignKeyNullableRelation[Drop] = fields.ForeignKeyField(
        "models.Drop", related_name="campaigns", null=True, on_delete=fields.SET_NULL
    )
    drop_id: int | None
    url = fields.TextField(default="")  # where {link} leads when no drop is named
    status = fields.CharEnumField(CampaignStatus, default=CampaignStatus.SCHEDULED, max_length=16)
    send_at = fields.DatetimeField(null=True)
    after_session: fields.ForeignKeyNullableRelation[LiveSession] = fields.ForeignKeyField(
        "models.LiveSession", related_name="campaigns", null=True, on_delete=fields.CASCADE
    )
    after_session_id: int | None
    after_minutes = fields.IntField(default=0)
    automatic = fields.CharEnumField(Automatic, max_length=16, null=True, unique=True)
    queued_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "campaign"


class CampaignVariant(Model):
    id = fields.IntField(primary_key=True)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="variants", on_delete=fields.CASCADE
    )
    campaign_id: int
    label = fields.CharField(max_length=8)
    template = fields.TextField()

    class Meta:
        table = "campaign_variant"
        unique_together = (("campaign", "label"),)


class Delivery(Model):
    """One fan's DM of one campaign: at most one per fan, campaign and subject, ever. The
    subject is empty for a campaign the creator sends, and names the drop or tier for an
    automatic one (one abandoned-hold nudge per drop)."""

    id = fields.IntField(primary_key=True)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="deliveries", on_delete=fields.CASCADE
    )
    campaign_id: int
    variant: fields.ForeignKeyRelation[CampaignVariant] = fields.ForeignKeyField(
        "models.CampaignVariant", related_name="deliveries", on_delete=fields.CASCADE
    )
    variant_id: int
    fan: fields.ForeignKeyRelation[Fan] = fields.ForeignKeyField(
        "models.Fan", related_name="deliveries", on_delete=fields.CASCADE
    )
    fan_id: int
    subject = fields.CharField(max_length=32, default="")
    platform = fields.CharEnumField(Platform, max_length=16)
    status = fields.CharEnumField(DeliveryStatus, default=DeliveryStatus.QUEUED, max_length=16)
    reason = fields.CharField(max_length=64, null=True)  # why skipped or failed
    not_before = fields.DatetimeField()  # quiet hours and retries move this on
    claimed_at = fields.DatetimeField(null=True)
    claimed_by = fields.CharField(max_length=64, null=True)  # the worker sending it now
    attempts = fields.IntField(default=0)  # sends the platform refused so far
    sent_at = fields.DatetimeField(null=True)
    link_code = fields.CharField(max_length=16, null=True)

    class Meta:
        table = "delivery"
        unique_together = (("campaign", "fan", "subject"),)
        indexes = (("status", "platform", "not_before"), ("fan_id", "claimed_at"))
