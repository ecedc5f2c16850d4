"""Telegram Stars subscriptions: what cancelling and reconciling them needs."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [("models", "0035_subscription_claims")]

    initial = False

    operations: list[migrations.operations.Operation] = []
