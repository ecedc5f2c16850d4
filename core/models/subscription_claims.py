"""Subscriptions moved in from another tool, each waiting for its subscriber to claim it."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from core.models.fans import Fan
from core.models.memberships import MembershipPlan


class SubscriptionClaim(Model):
    """A provider's subscription `dropcast plan import` found and matched to a plan, and the
    one-time code its subscriber claims it with, kept only as its SHA-256 digest
    (core/tokens.py). One row per subscription: importing it again gives a new code and the
    old one stops working. `used_at` is set once, by the claim's conditional update."""

    id = fields.IntField(primary_key=True)
    subscription_ref = fields.CharField(max_length=255, unique=True)
    digest = fields.CharField(max_length=64, unique=True)
    plan: fields.ForeignKeyRelation[MembershipPlan] = fields.ForeignKeyField(
        "models.MembershipPlan", related_name="subscription_claims", on_delete=fields.RESTRICT
    )
    plan_id: int
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    # who claimed it (moved with them when their accounts are linked)
    fan: fields.ForeignKeyNullableRelation[Fan] = fields.ForeignKeyField(
        "models.Fan", related_name="subscription_claims", null=True, on_delete=fields.SET_NULL
    )
    fan_id: int | None

    class Meta:
        table = "subscription_claim"
