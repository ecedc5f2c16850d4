"""Pop-ups: pickup places and windows of a drop, and the pickup pass of each order collected
there; a hold remembers the pop-up its fan chose."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0038_perk_tokens")]

    initial = False

    operations = [
        ops.CreateModel(
            name="PopUp",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("drop", fields.ForeignKeyField("models.Drop", source_field="drop_id", db_constraint=True, to_field="id", related_name="pop_ups", on_delete=OnDelete.CASCADE)),
                ("place", fields.CharField(max_length=120)),
                ("starts_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("ends_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "pop_up", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PickupPass",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("order", fields.OneToOneField("models.Order", source_field="order_id", db_constraint=True, to_field="id", related_name="pickup_pass", on_delete=OnDelete.CASCADE)),
                ("pop_up", fields.ForeignKeyField("models.PopUp", source_field="pop_up_id", db_constraint=True, to_field="id", related_name="passes", on_delete=OnDelete.RESTRICT)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("collected_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("collected_by", fields.CharField(null=True, max_length=64)),
                ("reminded_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("resolution", fields.CharField(null=True, max_length=16)),
                ("resolved_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={"table": "pickup_pass", "app": "models", "pk_attr": "id", "indexes": [Index(fields=["pop_up_id", "collected_at"])]},
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Reservation",
            name="pop_up",
            field=fields.ForeignKeyField("models.PopUp", source_field="pop_up_id", null=True, db_constraint=True, to_field="id", related_name="holds", on_delete=OnDelete.RESTRICT),
        ),
    ]
