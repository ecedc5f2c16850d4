"""Subscriptions moved in from another tool, each waiting for its subscriber to claim it."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [("models", "0034_member_prices")]

    initial = False

    operations: list[migrations.operations.Operation] = []
