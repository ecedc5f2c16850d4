"""Short links: a code we own in front of a target, so every tap is counted."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Link(Model):
    """`purpose` and `ref` say what the link is for (a hold's pay link, later a campaign's),
    so asking twice for the same thing returns the same code."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    target = fields.TextField()
    purpose = fields.CharField(max_length=32)
    ref = fields.CharField(max_length=64)
    clicks = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    last_clicked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "link"
        unique_together = (("purpose", "ref"),)


class LinkClick(Model):
    """Each tap, so orders that follow can be credited to the DM (and variant) it came from."""

    id = fields.IntField(primary_key=True)
    link: fields.ForeignKeyRelation[Link] = fields.ForeignKeyField(
        "models.Link", related_name="taps", on_delete=fields.CASCADE
    )
    link_id: int
    at = fields.DatetimeField()

    class Meta:
        table = "link_click"
        indexes = (("link_id", "at"),)
