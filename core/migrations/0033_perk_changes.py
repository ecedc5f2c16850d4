"""The access log: every grant and removal of a perk, with its cause."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [("models", "0032_plan_stripe_price")]

    initial = False

    operations: list[migrations.operations.Operation] = []
