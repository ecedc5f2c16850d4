"""Holds placed from a drop's public page (core/drops/public.py): the client address each
came from, so one address cannot hold a drop's whole stock."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from core.models.drops import Reservation


class WebHold(Model):
    id = fields.IntField(primary_key=True)
    hold: fields.OneToOneRelation[Reservation] = fields.OneToOneField(
        "models.Reservation", related_name="web_hold", on_delete=fields.CASCADE
    )
    hold_id: int
    address = fields.CharField(max_length=64)  # the client address the Buy came from
    created_at = fields.DatetimeField()

    class Meta:
        table = "web_hold"
        indexes = (("address", "created_at"),)
