"""What a drop's public page shows beyond its tiers (the creator's image), and the client
address of each hold placed from it."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0039_pop_ups")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Drop",
            name="image_url",
            field=fields.CharField(null=True, max_length=500),
        ),
        ops.CreateModel(
            name="WebHold",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("hold", fields.OneToOneField("models.Reservation", source_field="hold_id", db_constraint=True, to_field="id", related_name="web_hold", on_delete=OnDelete.CASCADE)),
                ("address", fields.CharField(max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "web_hold", "app": "models", "pk_attr": "id", "indexes": [Index(fields=["address", "created_at"])]},
            bases=["Model"],
        ),
    ]
