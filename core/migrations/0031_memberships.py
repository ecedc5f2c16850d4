"""Membership plans and memberships. Generated, then: the autodetector's stray
TelegramForm operations removed (its primary key is unchanged), the check constraints
added by AddConstraint and the unique constraints put back on SQLite after it."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from core.kinds import MemberState, PlanPeriod, SubscriptionProvider
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

UNIQUES = (
    'CREATE UNIQUE INDEX IF NOT EXISTS "uid_membership_plan_name_key_live" '
    'ON "membership_plan" ("name_key", "live")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "uid_membership_provider_subscription_ref" '
    'ON "membership" ("provider", "subscription_ref")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "uid_membership_fan_plan_live" '
    'ON "membership" ("fan_id", "plan_id", "live")',
)


async def restore_uniques(apps, schema_editor):
    client = schema_editor.client
    if client.capabilities.dialect != "sqlite":
        return
    for statement in UNIQUES:
        await client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [('models', '0030_delivery_claims')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MembershipPlan',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=80)),
                ('name_key', fields.CharField(max_length=80)),
                ('live', fields.IntField(null=True, default=1)),
                ('price_minor', fields.BigIntField()),
                ('currency', fields.CharField(max_length=3)),
                ('period', fields.CharEnumField(description='MONTHLY: monthly\nYEARLY: yearly', enum_type=PlanPeriod, max_length=16)),
                ('stars_per_30_days', fields.IntField(null=True)),
                ('trial_days', fields.IntField(default=0)),
                ('early_access_minutes', fields.IntField(default=0)),
                ('perks', fields.ManyToManyField('models.Perk', unique=True, db_constraint=True, through='membership_plan_perk', forward_key='perk_id', backward_key='membership_plan_id', related_name='plans', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('archived_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'membership_plan', 'app': 'models', 'unique_together': (('name_key', 'live'),), 'pk_attr': 'id', 'table_description': 'A recurring price and what it grants. `live` is 1 until the plan is archived, then'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Membership',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('fan', fields.ForeignKeyField('models.Fan', source_field='fan_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('plan', fields.ForeignKeyField('models.MembershipPlan', source_field='plan_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.RESTRICT)),
                ('provider', fields.CharEnumField(description='STRIPE: stripe\nTELEGRAM_STARS: telegram_stars', enum_type=SubscriptionProvider, max_length=16)),
                ('subscription_ref', fields.CharField(max_length=255)),
                ('state', fields.CharEnumField(description='TRIALING: trialing\nACTIVE: active\nPAST_DUE: past_due\nLAPSED: lapsed\nCANCELLED_AT_PERIOD_END: cancelled_at_period_end\nPAUSED: paused\nENDED: ended', enum_type=MemberState, max_length=32)),
                ('live', fields.IntField(null=True, default=1)),
                ('current_period_end', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cancel_at_period_end', fields.BooleanField(default=False)),
                ('trial_end', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('grace_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('access_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cancel_reason', fields.CharField(default='', max_length=64)),
                ('snapshot_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('snapshot_rank', fields.BigIntField()),
            ],
            options={'table': 'membership', 'app': 'models', 'unique_together': (('provider', 'subscription_ref'), ('fan', 'plan', 'live')), 'pk_attr': 'id', 'table_description': "One fan's subscription to one plan at one provider. Its columns are what the latest"},
            bases=['Model'],
        ),
        # CreateModel leaves check constraints out (see 0001); AddConstraint puts them in,
        # and on SQLite rebuilds the table without its unique constraints (see 0013)
        ops.AddConstraint(
            model_name='MembershipPlan',
            constraint=CheckConstraint(check='(archived_at IS NULL AND live = 1) OR (archived_at IS NOT NULL AND live IS NULL)', name='membership_plan_live'),
        ),
        ops.AddConstraint(
            model_name='Membership',
            constraint=CheckConstraint(check="(state = 'ended' AND live IS NULL) OR (state <> 'ended' AND live = 1)", name='membership_live'),
        ),
        ops.RunPython(restore_uniques, ops.RunPython.noop),
    ]
