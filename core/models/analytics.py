"""Rollups: the analytics' running totals, kept exact as fans' data changes, so a report
reads thousands of rows where the raw data has millions (core/analytics/rollups.py)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class RollupRow(Model):
    """A rollup's row: its numbers (n1 to n5) are what its metric adds up, such as fans and
    repeat buyers, each metric saying what they mean for its rows."""

    id = fields.BigIntField(primary_key=True)
    rollup = fields.CharField(max_length=64)
    key = fields.CharField(max_length=128)
    n1 = fields.BigIntField(default=0)
    n2 = fields.BigIntField(default=0)
    n3 = fields.BigIntField(default=0)
    n4 = fields.BigIntField(default=0)
    n5 = fields.BigIntField(default=0)

    class Meta:
        abstract = True


class RollupPart(RollupRow):
    """One fan's share of a rollup's totals, kept so that it can be taken out again."""

    fan_id = fields.IntField()

    class Meta:
        table = "rollup_part"
        indexes = (("rollup", "fan_id"),)


class RollupTotal(RollupRow):
    """The sum of every fan's part of a rollup, per key."""

    class Meta:
        table = "rollup_total"
        unique_together = (("rollup", "key"),)


class RollupStale(Model):
    """A fan a rollup has still to recount."""

    id = fields.BigIntField(primary_key=True)
    rollup = fields.CharField(max_length=64)
    fan_id = fields.IntField()

    class Meta:
        table = "rollup_stale"
        unique_together = (("rollup", "fan_id"),)


class StaleFan(Model):
    """A fan whose data changed since the rollups last heard.

    Database triggers mark them, so that no write path can forget to (migration 0025).
    """

    fan_id = fields.IntField(primary_key=True)

    class Meta:
        table = "stale_fan"
