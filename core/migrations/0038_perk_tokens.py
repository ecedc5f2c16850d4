"""Perk tokens: numbered sets minted for a next-week perk, each token held, gifted, redeemed or expired."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from core.models.perk_tokens import TokenPerk


class Migration(migrations.Migration):
    dependencies = [("models", "0037_offer_taps")]

    initial = False

    operations = [
        ops.CreateModel(
            name="PerkTokenSet",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("name", fields.CharField(max_length=80)),
                ("kind", fields.CharEnumField(description="EARLY_ACCESS: early_access\nPERK: perk\nMEMBER_PRICE: member_price\nSHOUT_OUT: shout_out", enum_type=TokenPerk, max_length=16)),
                ("perk", fields.ForeignKeyField("models.Perk", source_field="perk_id", null=True, db_constraint=True, to_field="id", related_name="token_sets", on_delete=OnDelete.RESTRICT)),
                ("early_minutes", fields.IntField(default=0)),
                ("count", fields.IntField()),
                ("window_days", fields.IntField(null=True)),
                ("window_from", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("window_until", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("rule", fields.CharField(max_length=16)),
                ("source", fields.JSONField(default=dict)),
                ("seed", fields.CharField(max_length=32)),
                ("drawn_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "perk_token_set", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PerkToken",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("token_set", fields.ForeignKeyField("models.PerkTokenSet", source_field="token_set_id", db_constraint=True, to_field="id", related_name="tokens", on_delete=OnDelete.CASCADE)),
                ("number", fields.IntField()),
                ("holder", fields.ForeignKeyField("models.Fan", source_field="holder_id", null=True, db_constraint=True, to_field="id", related_name="perk_tokens", on_delete=OnDelete.SET_NULL)),
                ("claimed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("gifted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("gifted_by_id", fields.IntField(null=True)),
                ("redeemed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("expired_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("perk_from", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("perk_until", fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ("perk_given_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("perk_ended_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={"table": "perk_token", "app": "models", "unique_together": (("token_set", "number"),), "indexes": [Index(fields=["holder_id", "perk_until"])], "pk_attr": "id"},
            bases=["Model"],
        ),
    ]
