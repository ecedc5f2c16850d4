"""What members get in drops: a member price per tier, member-only tiers and drops."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [("models", "0033_perk_changes")]

    initial = False

    operations: list[migrations.operations.Operation] = []
