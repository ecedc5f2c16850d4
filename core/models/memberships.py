"""Membership plans a creator sells, and each fan's membership of one: the state its latest
subscription snapshot implies (core/memberships/states.py)."""

from __future__ import annotations

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from core.kinds import MemberState, PlanPeriod, SubscriptionProvider
from core.models.fans import Fan
from core.models.perks import Perk

# a set column is part of a unique key, an empty one (NULL) is not, on both databases: the
# `slot` of a reservation works the same way (core/models/drops.py)
LIVE = 1


class MembershipPlan(Model):
    """A recurring price and what it grants. `live` is 1 until the plan is archived, then
    empty, so the unique (name_key, live) holds a name among the plans on sale only."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=80)
    name_key = fields.CharField(max_length=80)  # the name casefolded: "Gold" is "gold"
    live = fields.IntField(null=True, default=LIVE)
    price_minor = fields.BigIntField()  # per period, in the currency's minor units
    currency = fields.CharField(max_length=3)
    period = fields.CharEnumField(PlanPeriod, max_length=16)
    stars_per_30_days = fields.IntField(null=True)  # the Telegram Stars price, if sold there
    trial_days = fields.IntField(default=0)  # 0: no free trial
    early_access_minutes = fields.IntField(default=0)  # members reserve drops this early
    perks: fields.ManyToManyRelation[Perk] = fields.ManyToManyField(
        "models.Perk", related_name="plans", through="membership_plan_perk"
    )
    created_at = fields.DatetimeField()
    archived_at = fields.DatetimeField(null=True)
    # Stripe's recurring price for the plan, made the first time a fan joins through Stripe
    stripe_price_ref = fields.CharField(max_length=255, null=True)
    # held instead of the plan's perks by members whose payments lapsed, if the creator likes
    lapsed_perk: fields.ForeignKeyNullableRelation[Perk] = fields.ForeignKeyField(
        "models.Perk", related_name="lapsed_plans", null=True, on_delete=fields.SET_NULL
    )
    lapsed_perk_id: int | None

    class Meta:
        table = "membership_plan"
        unique_together = (("name_key", "live"),)
        constraints = (
            CheckConstraint(
                check="(archived_at IS NULL AND live = 1) "
                "OR (archived_at IS NOT NULL AND live IS NULL)",
                name="membership_plan_live",
            ),
        )


class Membership(Model):
    """One fan's subscription to one plan at one provider. Its columns are what the latest
    snapshot of the subscription implies; `snapshot_at` and `snapshot_rank` order snapshots,
    so an older or repeated one changes nothing. `live` is 1 until the membership ends, then
    empty: the unique (fan, plan, live) lets a fan hold at most one unended membership of a
    plan."""

    id = fields.IntField(primary_key=True)
    fan: fields.ForeignKeyRelation[Fan] = fields.ForeignKeyField(
        "models.Fan", related_name="memberships", on_delete=fields.CASCADE
    )
    fan_id: int
    plan: fields.ForeignKeyRelation[MembershipPlan] = fields.ForeignKeyField(
        "models.MembershipPlan", related_name="memberships", on_delete=fields.RESTRICT
    )
    plan_id: int
    provider = fields.CharEnumField(SubscriptionProvider, max_length=16)
    subscription_ref = fields.CharField(max_length=255)  # the provider's subscription id
    state = fields.CharEnumField(MemberState, max_length=32)
    live = fields.IntField(null=True, default=LIVE)
    current_period_end = fields.DatetimeField(null=True)
    cancel_at_period_end = fields.BooleanField(default=False)
    trial_end = fields.DatetimeField(null=True)
    grace_until = fields.DatetimeField(null=True)  # a past-due member's access ends then
    access_until = fields.DatetimeField(null=True)  # none: no access
    started_at = fields.DatetimeField()
    ended_at = fields.DatetimeField(null=True)
    cancel_reason = fields.CharField(max_length=64, default="")
    snapshot_at = fields.DatetimeField()  # when the provider reported the state recorded
    snapshot_rank = fields.BigIntField()  # orders snapshots reported at the same moment

    class Meta:
        table = "membership"
        unique_together = (("provider", "subscription_ref"), ("fan", "plan", "live"))
        constraints = (
            CheckConstraint(
                check="(state = 'ended' AND live IS NULL) OR (state <> 'ended' AND live = 1)",
                name="membership_live",
            ),
        )
