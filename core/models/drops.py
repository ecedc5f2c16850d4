"""Drops, their tiers, the holds on units, and the waitlist."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from core.kinds import DropStatus, FanTier, HoldStatus, TierKind, WaitlistStatus
from core.models.fans import Fan
from core.models.perks import Perk

if TYPE_CHECKING:
    from core.models.popups import PopUp


class Drop(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    title = fields.CharField(max_length=120)
    description = fields.TextField(default="")
    status = fields.CharEnumField(DropStatus, default=DropStatus.DRAFT, max_length=16)
    opens_at = fields.DatetimeField(null=True)
    closes_at = fields.DatetimeField(null=True)
    early_access_tier = fields.CharEnumField(FanTier, null=True, max_length=16)
    early_access_minutes = fields.IntField(default=0)
    hold_minutes = fields.IntField(default=10)
    members_only = fields.BooleanField(default=False)  # only members may buy any of its tiers
    image_url = fields.CharField(max_length=500, null=True)  # the creator's, for its public page
    copy_variants: list[dict[str, object]] = fields.JSONField(default=list)  # an A/B test
    created_at = fields.DatetimeField(auto_now_add=True)
    opened_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)

    tiers: fields.ReverseRelation[DropTier]

    class Meta:
        table = "drop"


class DropTier(Model):
    """`available` is the only stock counter that moves, and only by conditional updates."""

    id = fields.IntField(primary_key=True)
    drop: fields.ForeignKeyRelation[Drop] = fields.ForeignKeyField(
        "models.Drop", related_name="tiers", on_delete=fields.CASCADE
    )
    drop_id: int
    position = fields.IntField(default=0)
    name = fields.CharField(max_length=80)
    kind = fields.CharEnumField(TierKind, max_length=16)
    price_minor = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    # what a member pays instead (same currency, lower); none: members pay the price too
    member_price_minor = fields.BigIntField(null=True)
    members_only = fields.BooleanField(default=False)
    stock = fields.IntField()
    available = fields.IntField()
    per_fan_limit = fields.IntField(default=1)
    content = fields.TextField(default="")  # what a digital buyer receives: a link or a code
    perk: fields.ForeignKeyNullableRelation[Perk] = fields.ForeignKeyField(
        "models.Perk", related_name="tiers", null=True, on_delete=fields.RESTRICT
    )
    perk_id: int | None  # a paid order of this tier grants the perk until it is refunded

    class Meta:
        table = "drop_tier"
        # the database's own last word on invariant 1, behind the conditional updates
        constraints = (
            CheckConstraint(
                check="available >= 0 AND available <= stock", name="drop_tier_stock_bounds"
            ),
        )


class Reservation(Model):
    """A hold on one unit for one fan. `slot` (1..per-fan limit) is set while the hold is
    held or paid; the unique (tier, fan, slot) makes the per-fan limit race-proof."""

    id = fields.IntField(primary_key=True)
    tier: fields.ForeignKeyRelation[DropTier] = fields.ForeignKeyField(
        "models.DropTier", related_name="holds", on_delete=fields.CASCADE
    )
    tier_id: int
    fan: fields.ForeignKeyRelation[Fan] = fields.ForeignKeyField(
        "models.Fan", related_name="holds", on_delete=fields.CASCADE
    )
    fan_id: int
    status = fields.CharEnumField(HoldStatus, default=HoldStatus.HELD, max_length=16)
    slot = fields.IntField(null=True)
    from_waitlist = fields.BooleanField(default=False)
    expires_at = fields.DatetimeField()
    created_at = fields.DatetimeField()
    ended_at = fields.DatetimeField(null=True)
    pay_ref = fields.CharField(max_length=255, null=True)
    copy_label = fields.CharField(max_length=8, null=True)  # the drop copy variant shown
    # the price the fan holds the unit at (a member's is the member price), in the tier's
    # currency: what their pay link, invoice and order take; set on every hold placed
    price_minor = fields.BigIntField(null=True)
    # a physical unit to be picked up at this pop-up instead of shipped (core/models/popups.py)
    pop_up: fields.ForeignKeyNullableRelation[PopUp] = fields.ForeignKeyField(
        "models.PopUp", related_name="holds", null=True, on_delete=fields.RESTRICT
    )
    pop_up_id: int | None

    class Meta:
        table = "reservation"
        unique_together = (("tier", "fan", "slot"),)
        indexes = (("status", "expires_at"), ("fan_id", "created_at"))


class WaitlistEntry(Model):
    id = fields.IntField(primary_key=True)
    tier: fields.ForeignKeyRelation[DropTier] = fields.ForeignKeyField(
        "models.DropTier", related_name="waitlist", on_delete=fields.CASCADE
    )
    fan: fields.ForeignKeyRelation[Fan] = fields.ForeignKeyField(
        "models.Fan", related_name="waitlist_entries", on_delete=fields.CASCADE
    )
    fan_id: int
    status = fields.CharEnumField(WaitlistStatus, default=WaitlistStatus.WAITING, max_length=16)
    hold: fields.ForeignKeyNullableRelation[Reservation] = fields.ForeignKeyField(
        "models.Reservation", null=True, related_name=None, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()

    class Meta:
        table = "waitlist_entry"
        unique_together = (("tier", "fan"),)
