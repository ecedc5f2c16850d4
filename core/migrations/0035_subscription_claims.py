"""Subscriptions moved in from another tool, each waiting for its subscriber to claim it."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0034_member_prices")]

    initial = False

    operations = [
        ops.CreateModel(
            name="SubscriptionClaim",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("subscription_ref", fields.CharField(max_length=255, unique=True)),
                ("digest", fields.CharField(max_length=64, unique=True)),
                ("plan", fields.ForeignKeyField("models.MembershipPlan", source_field="plan_id", db_constraint=True, to_field="id", related_name="subscription_claims", on_delete=OnDelete.RESTRICT)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("used_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("fan", fields.ForeignKeyField("models.Fan", source_field="fan_id", null=True, db_constraint=True, to_field="id", related_name="subscription_claims", on_delete=OnDelete.SET_NULL)),
            ],
            options={"table": "subscription_claim", "app": "models", "pk_attr": "id", "table_description": "A provider's subscription `dropcast plan import` found and matched to a plan, and the"},
            bases=["Model"],
        ),
    ]
