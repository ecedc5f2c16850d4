"""A pop-up's time zone: its window is shown on the clock of the place it is in."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0040_drop_pages")]

    initial = False

    operations = [
        ops.AddField(
            model_name="PopUp",
            name="zone",
            field=fields.CharField(default="UTC", max_length=64),
        ),
    ]
