"""The Stripe price a membership plan is sold at, made the first time a fan joins it."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0031_memberships")]

    initial = False

    operations = [
        ops.AddField(
            model_name="MembershipPlan",
            name="stripe_price_ref",
            field=fields.CharField(null=True, max_length=255),
        ),
    ]
