"""Pop-ups: places and time windows where a drop's physical units are picked up, and the
pickup pass of each order that chose one."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from core.models.drops import Drop
from core.models.orders import Order


class PopUp(Model):
    id = fields.IntField(primary_key=True)
    drop: fields.ForeignKeyRelation[Drop] = fields.ForeignKeyField(
        "models.Drop", related_name="pop_ups", on_delete=fields.CASCADE
    )
    drop_id: int
    place = fields.CharField(max_length=120)
    zone = fields.CharField(max_length=64, default="UTC")  # the place's clock: times shown in it
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "pop_up"


class PickupPass(Model):
    """One per pickup order. `collected_at` is set once, by the scan's conditional update;
    after the window, a pass never collected is a no-show until the creator ships or
    refunds it (`resolution`)."""

    id = fields.IntField(primary_key=True)
    order: fields.OneToOneRelation[Order] = fields.OneToOneField(
        "models.Order", related_name="pickup_pass", on_delete=fields.CASCADE
    )
    order_id: int
    pop_up: fields.ForeignKeyRelation[PopUp] = fields.ForeignKeyField(
        "models.PopUp", related_name="passes", on_delete=fields.RESTRICT
    )
    pop_up_id: int
    created_at = fields.DatetimeField()
    collected_at = fields.DatetimeField(null=True)
    collected_by = fields.CharField(max_length=64, null=True)  # the staff link's name
    reminded_at = fields.DatetimeField(null=True)
    resolution = fields.CharField(max_length=16, null=True)  # "shipped" or "refunded"
    resolved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "pickup_pass"
        indexes = (("pop_up_id", "collected_at"),)
