"""The installation's signing key, for codes that carry their own meaning (core/signing.py)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0035_subscription_claims")]

    initial = False

    operations = [
        ops.CreateModel(
            name="SigningKey",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("key", fields.CharField(max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "signing_key", "app": "models", "pk_attr": "id", "table_description": "One row (id 1). Whoever holds it can make pay links, perk tokens and pickup passes"},
            bases=["Model"],
        ),
    ]
