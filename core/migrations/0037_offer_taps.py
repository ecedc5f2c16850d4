"""Taps on signed pay links, recorded in batches (core/offers.py)."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [("models", "0036_signing_key")]

    initial = False

    operations: list[migrations.operations.Operation] = []
