"""Taps on signed pay links (core/offer_taps.py writes them in batches)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class OfferTap(Model):
    """One tap of `/l/{signed offer}`, as the offer named it. No foreign keys: a tap is
    answered before anything is read, and written later, so a drop or fan it names may be
    gone by then and the row must still go in."""

    id = fields.IntField(primary_key=True)
    drop_code = fields.CharField(max_length=16)
    tier_id = fields.IntField(null=True)
    fan_id = fields.IntField(null=True)
    source = fields.CharField(max_length=32)  # "campaign:12", "session:3", "" (anywhere)
    at = fields.DatetimeField()

    class Meta:
        table = "offer_tap"
        indexes = (("drop_code", "source"),)
