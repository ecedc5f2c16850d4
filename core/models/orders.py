"""Orders (one per paid payment, refunded ones included) and the append-only points ledger."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from core.kinds import OrderStatus
from core.models.drops import DropTier, Reservation
from core.models.fans import Fan


class Order(Model):
    id = fields.IntField(primary_key=True)
    payment_id = fields.CharField(max_length=255, unique=True)
    provider = fields.CharField(max_length=32)
    hold: fields.OneToOneNullableRelation[Reservation] = fields.OneToOneField(
        "models.Reservation", related_name="order", null=True, on_delete=fields.RESTRICT
    )
    hold_id: int | None
    tier: fields.ForeignKeyRelation[DropTier] = fields.ForeignKeyField(
        "models.DropTier", related_name="orders", on_delete=fields.RESTRICT
    )
    tier_id: int
    fan: fields.ForeignKeyRelation[Fan] = fields.ForeignKeyField(
        "models.Fan", related_name="orders", on_delete=fields.RESTRICT
    )
    fan_id: int
    amount_minor = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    status = fields.CharEnumField(OrderStatus, default=OrderStatus.PAID, max_length=16)
    refund_reason = fields.CharField(max_length=120, null=True)
    shipping_address: dict[str, str] | None = fields.JSONField(null=True)
    delivered_at = fields.DatetimeField(null=True)
    shipped_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "order"
        # for the analytics: each fan's orders in time, each tier's, everything in time
        indexes = (("fan_id", "created_at"), ("tier_id", "status", "created_at"), ("created_at",))


class LedgerEntry(Model):
    """Points never change in place: a reversal is a new, negative entry."""

    id = fields.IntField(primary_key=True)
    fan: fields.ForeignKeyRelation[Fan] = fields.ForeignKeyField(
        "models.Fan", related_name="ledger", on_delete=fields.CASCADE
    )
    fan_id: int
    amount = fields.IntField()
    reason = fields.CharField(max_length=32)
    source_id = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()

    class Meta:
        table = "ledger_entry"
        unique_together = (("fan", "reason", "source_id"),)
