"""What members get in drops: a member price per tier, member-only tiers and drops, and the
price each hold was placed at (holds placed before are at their tier's price)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

HELD_AT_TIER_PRICE = (
    'UPDATE "reservation" SET "price_minor" = (SELECT t."price_minor" FROM "drop_tier" t '
    'WHERE t."id" = "reservation"."tier_id") WHERE "price_minor" IS NULL'
)


class Migration(migrations.Migration):
    dependencies = [("models", "0033_perk_changes")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Drop",
            name="members_only",
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name="DropTier",
            name="member_price_minor",
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name="DropTier",
            name="members_only",
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name="Reservation",
            name="price_minor",
            field=fields.BigIntField(null=True),
        ),
        ops.RunSQL(HELD_AT_TIER_PRICE, ops.RunSQL.noop),
    ]
