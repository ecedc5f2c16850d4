"""Taps on signed pay links, recorded in batches (core/offers.py)."""

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0036_signing_key")]

    initial = False

    operations = [
        ops.CreateModel(
            name="OfferTap",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("drop_code", fields.CharField(max_length=16)),
                ("tier_id", fields.IntField(null=True)),
                ("fan_id", fields.IntField(null=True)),
                ("source", fields.CharField(max_length=32)),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "offer_tap", "app": "models", "pk_attr": "id", "table_description": "One tap of `/l/{signed offer}`, as the offer named it. No foreign keys: a tap is", "indexes": [Index(fields=["drop_code", "source"])]},
            bases=["Model"],
        ),
    ]
