"""What a drop's public page shows beyond its tiers."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [("models", "0039_pop_ups")]

    initial = False

    operations: list[migrations.operations.Operation] = []
