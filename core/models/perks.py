"""Perks a purchase can grant (a Telegram perk chat, a Discord role) and who holds them now."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from core.kinds import FanTier, PerkGrantStatus, Platform
from core.models.fans import Fan


class Perk(Model):
    """A reward on one platform, named by the creator: `place_ref` is where it lives (the
    Telegram chat, the Discord guild), `ref` what is given (the chat again, or a role)."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=32, unique=True)
    title = fields.CharField(max_length=100)
    platform = fields.CharEnumField(Platform, max_length=16)
    place_ref = fields.CharField(max_length=64)
    ref = fields.CharField(max_length=64)
    # fans at this recognition tier or above hold the perk, whatever they bought
    min_tier: FanTier | None = fields.CharEnumField(  # type: ignore[assignment]
        FanTier, max_length=16, null=True
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "perk"


class PerkGrant(Model):
    """What the platform was last told for one fan and one perk. Only a conditional update
    of `status` lets a worker talk to the platform, so two never grant the same perk twice."""

    id = fields.IntField(primary_key=True)
    perk: fields.ForeignKeyRelation[Perk] = fields.ForeignKeyField(
        "models.Perk", related_name="grants", on_delete=fields.CASCADE
    )
    perk_id: int
    fan: fields.ForeignKeyRelation[Fan] = fields.ForeignKeyField(
        "models.Fan", related_name="perk_grants", on_delete=fields.CASCADE
    )
    fan_id: int
    status = fields.CharEnumField(PerkGrantStatus, max_length=16)
    access = fields.CharField(max_length=255, default="")  # e.g. the fan's own invite link
    changed_at = fields.DatetimeField()

    class Meta:
        table = "perk_grant"
        unique_together = (("perk", "fan"),)


class PerkChange(Model):
    """The access log: one row for every grant and removal a platform carried out, with its
    cause in words ("order #12 paid", "sweep", "membership #3 past_due → lapsed"), so a
    creator can say why a fan holds a role, and the access report has a record of what
    Dropcast did where the platform cannot be asked (a Telegram bot cannot list a chat)."""

    id = fields.IntField(primary_key=True)
    perk: fields.ForeignKeyRelation[Perk] = fields.ForeignKeyField(
        "models.Perk", related_name="changes", on_delete=fields.CASCADE
    )
    perk_id: int
    fan: fields.ForeignKeyRelation[Fan] = fields.ForeignKeyField(
        "models.Fan", related_name="perk_changes", on_delete=fields.CASCADE
    )
    fan_id: int
    change = fields.CharEnumField(PerkGrantStatus, max_length=16)  # granted or revoked
    cause = fields.CharField(max_length=200)
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "perk_change"


class AccessReportDay(Model):
    """A day whose access report was sent to the creator: the unique day makes the daily DM
    one, however many clock processes ran."""

    day = fields.CharField(max_length=10, primary_key=True)  # ISO date, UTC
    sent_at = fields.DatetimeField()

    class Meta:
        table = "access_report_day"
