"""The access log: every grant and removal of a perk, with its cause; the days whose access
report went to the creator; and the perk a plan's lapsed members hold instead."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from core.kinds import PerkGrantStatus


class Migration(migrations.Migration):
    dependencies = [("models", "0032_plan_stripe_price")]

    initial = False

    operations = [
        ops.CreateModel(
            name="PerkChange",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("perk", fields.ForeignKeyField("models.Perk", source_field="perk_id", db_constraint=True, to_field="id", related_name="changes", on_delete=OnDelete.CASCADE)),
                ("fan", fields.ForeignKeyField("models.Fan", source_field="fan_id", db_constraint=True, to_field="id", related_name="perk_changes", on_delete=OnDelete.CASCADE)),
                ("change", fields.CharEnumField(description="GRANTED: granted\nREVOKED: revoked", enum_type=PerkGrantStatus, max_length=16)),
                ("cause", fields.CharField(max_length=200)),
                ("at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={"table": "perk_change", "app": "models", "pk_attr": "id", "table_description": "The access log: one row for every grant and removal a platform carried out, with its"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="AccessReportDay",
            fields=[
                ("day", fields.CharField(primary_key=True, unique=True, db_index=True, max_length=10)),
                ("sent_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "access_report_day", "app": "models", "pk_attr": "day", "table_description": "A day whose access report was sent to the creator: the unique day makes the daily DM"},
            bases=["Model"],
        ),
        ops.AddField(
            model_name="MembershipPlan",
            name="lapsed_perk",
            field=fields.ForeignKeyField("models.Perk", source_field="lapsed_perk_id", null=True, db_constraint=True, to_field="id", related_name="lapsed_plans", on_delete=OnDelete.SET_NULL),
        ),
    ]  # fmt: skip
