"""Perk tokens: numbered sets minted for a next-week perk, each token held, gifted, redeemed or expired."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [("models", "0037_offer_taps")]

    initial = False

    operations: list[migrations.operations.Operation] = []
