"""A fan is one person, whatever platforms they reach us on."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from core.kinds import FanTier, Platform


class Fan(Model):
    id = fields.IntField(primary_key=True)
    display_name = fields.CharField(max_length=100)
    email = fields.CharField(max_length=254, null=True)
    tier = fields.CharEnumField(FanTier, default=FanTier.FAN, max_length=16)
    dm_opt_in = fields.BooleanField(default=False)
    named_in_shout_outs = fields.BooleanField(default=True)  # the fan can opt out
    timezone = fields.CharField(max_length=64, default="UTC")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "fan"


class PlatformAccount(Model):
    id = fields.IntField(primary_key=True)
    fan: fields.ForeignKeyRelation[Fan] = fields.ForeignKeyField(
        "models.Fan", related_name="accounts", on_delete=fields.CASCADE
    )
    fan_id: int
    platform = fields.CharEnumField(Platform, max_length=16)
    platform_user_id = fields.CharField(max_length=64)
    username = fields.CharField(max_length=100, null=True)
    dm_reachable = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "platform_account"
        unique_together = (("platform", "platform_user_id"),)


class LinkCode(Model):
    """A one-time code a fan asked for on one platform, to send on the other: redeeming it
    merges the two accounts' fans into one."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    fan: fields.ForeignKeyRelation[Fan] = fields.ForeignKeyField(
        "models.Fan", related_name="link_codes", on_delete=fields.CASCADE
    )
    fan_id: int
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "link_code"


class ConsentRecord(Model):
    """Each time a fan said yes or no to direct messages, where and how: the creator can
    show it. `Fan.dm_opt_in` is the latest answer."""

    id = fields.IntField(primary_key=True)
    fan: fields.ForeignKeyRelation[Fan] = fields.ForeignKeyField(
        "models.Fan", related_name="consent", on_delete=fields.CASCADE
    )
    fan_id: int
    given = fields.BooleanField()
    platform = fields.CharEnumField(Platform, max_length=16)
    how = fields.CharField(max_length=64)
    at = fields.DatetimeField()

    class Meta:
        table = "consent_record"
