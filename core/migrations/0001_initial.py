from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from core.kinds import DropStatus, HoldStatus, TierKind, WaitlistStatus
from core.kinds import FanTier, Platform
from core.kinds import OrderStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Community',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('platform', fields.CharEnumField(description='DISCORD: discord\nTELEGRAM: telegram\nSANDBOX: sandbox', enum_type=Platform, max_length=16)),
                ('platform_ref', fields.CharField(max_length=64)),
                ('name', fields.CharField(max_length=100)),
                ('announce_channel_ref', fields.CharField(null=True, max_length=64)),
                ('tier_perks', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'community', 'app': 'models', 'unique_together': (('platform', 'platform_ref'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Drop',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=16)),
                ('title', fields.CharField(max_length=120)),
                ('description', fields.TextField(default='', unique=False)),
                ('status', fields.CharEnumField(default=DropStatus.DRAFT, description='DRAFT: draft\nSCHEDULED: scheduled\nOPEN: open\nSOLD_OUT: sold_out\nCLOSED: closed\nCANCELLED: cancelled', enum_type=DropStatus, max_length=16)),
                ('opens_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closes_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('early_access_tier', fields.CharEnumField(null=True, description='FAN: fan\nSUPPORTER: supporter\nINSIDER: insider\nINNER_CIRCLE: inner_circle', enum_type=FanTier, max_length=16)),
                ('early_access_minutes', fields.IntField(default=0)),
                ('hold_minutes', fields.IntField(default=10)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('opened_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'drop', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DropTier',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('drop', fields.ForeignKeyField('models.Drop', source_field='drop_id', db_constraint=True, to_field='id', related_name='tiers', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField(default=0)),
                ('name', fields.CharField(max_length=80)),
                ('kind', fields.CharEnumField(description='DIGITAL: digital\nPHYSICAL: physical\nBUNDLE: bundle', enum_type=TierKind, max_length=16)),
                ('price_minor', fields.BigIntField()),
                ('currency', fields.CharField(max_length=3)),
                ('stock', fields.IntField()),
                ('available', fields.IntField()),
                ('per_fan_limit', fields.IntField(default=1)),
            ],
            options={'table': 'drop_tier', 'app': 'models', 'pk_attr': 'id', 'table_description': '`available` is the only stock counter that moves, and only by conditional updates.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Fan',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('display_name', fields.CharField(max_length=100)),
                ('email', fields.CharField(null=True, max_length=254)),
                ('tier', fields.CharEnumField(default=FanTier.FAN, description='FAN: fan\nSUPPORTER: supporter\nINSIDER: insider\nINNER_CIRCLE: inner_circle', enum_type=FanTier, max_length=16)),
                ('dm_opt_in', fields.BooleanField(default=False)),
                ('timezone', fields.CharField(default='UTC', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'fan', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LedgerEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('fan', fields.ForeignKeyField('models.Fan', source_field='fan_id', db_constraint=True, to_field='id', related_name='ledger', on_delete=OnDelete.CASCADE)),
                ('amount', fields.IntField()),
                ('reason', fields.CharField(max_length=32)),
                ('source_id', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'ledger_entry', 'app': 'models', 'unique_together': (('fan', 'reason', 'source_id'),), 'pk_attr': 'id', 'table_description': 'Points never change in place: a reversal is a new, negative entry.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PlatformAccount',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('fan', fields.ForeignKeyField('models.Fan', source_field='fan_id', db_constraint=True, to_field='id', related_name='accounts', on_delete=OnDelete.CASCADE)),
                ('platform', fields.CharEnumField(description='DISCORD: discord\nTELEGRAM: telegram\nSANDBOX: sandbox', enum_type=Platform, max_length=16)),
                ('platform_user_id', fields.CharField(max_length=64)),
                ('username', fields.CharField(null=True, max_length=100)),
                ('dm_reachable', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'platform_account', 'app': 'models', 'unique_together': (('platform', 'platform_user_id'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Reservation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tier', fields.ForeignKeyField('models.DropTier', source_field='tier_id', db_constraint=True, to_field='id', related_name='holds', on_delete=OnDelete.CASCADE)),
                ('fan', fields.ForeignKeyField('models.Fan', source_field='fan_id', db_constraint=True, to_field='id', related_name='holds', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=HoldStatus.HELD, description='HELD: held\nPAID: paid\nEXPIRED: expired\nCANCELLED: cancelled', enum_type=HoldStatus, max_length=16)),
                ('slot', fields.IntField(null=True)),
                ('from_waitlist', fields.BooleanField(default=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('pay_ref', fields.CharField(null=True, max_length=255)),
            ],
            options={'table': 'reservation', 'app': 'models', 'unique_together': (('tier', 'fan', 'slot'),), 'indexes': [Index(fields=['status', 'expires_at'])], 'pk_attr': 'id', 'table_description': 'A hold on one unit for one fan. `slot` (1..per-fan limit) is set while the hold is'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Order',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('payment_id', fields.CharField(unique=True, max_length=255)),
                ('provider', fields.CharField(max_length=32)),
                ('hold', fields.OneToOneField('models.Reservation', source_field='hold_id', null=True, db_constraint=True, to_field='id', related_name='order', on_delete=OnDelete.RESTRICT)),
                ('tier', fields.ForeignKeyField('models.DropTier', source_field='tier_id', db_constraint=True, to_field='id', related_name='orders', on_delete=OnDelete.RESTRICT)),
                ('fan', fields.ForeignKeyField('models.Fan', source_field='fan_id', db_constraint=True, to_field='id', related_name='orders', on_delete=OnDelete.RESTRICT)),
                ('amount_minor', fields.BigIntField()),
                ('currency', fields.CharField(max_length=3)),
                ('status', fields.CharEnumField(default=OrderStatus.PAID, description='PAID: paid\nREFUND_PENDING: refund_pending\nREFUNDED: refunded\nDISPUTED: disputed', enum_type=OrderStatus, max_length=16)),
                ('refund_reason', fields.CharField(null=True, max_length=120)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'order', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WaitlistEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tier', fields.ForeignKeyField('models.DropTier', source_field='tier_id', db_constraint=True, to_field='id', related_name='waitlist', on_delete=OnDelete.CASCADE)),
                ('fan', fields.ForeignKeyField('models.Fan', source_field='fan_id', db_constraint=True, to_field='id', related_name='waitlist_entries', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=WaitlistStatus.WAITING, description='WAITING: waiting\nOFFERED: offered', enum_type=WaitlistStatus, max_length=16)),
                ('hold', fields.ForeignKeyField('models.Reservation', source_field='hold_id', null=True, db_constraint=True, to_field='id', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'waitlist_entry', 'app': 'models', 'unique_together': (('tier', 'fan'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        # CreateModel does not apply check constraints; this operation does (SQLite rebuilds the table)
        ops.AddConstraint(
            model_name='DropTier',
            constraint=CheckConstraint(check='available >= 0 AND available <= stock', name='drop_tier_stock_bounds'),
        ),
    ]
