from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from core.kinds import Automatic, CampaignStatus, DeliveryStatus
from core.kinds import Platform
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0018_late_start_nudges')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Campaign',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=120)),
                ('segment', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('drop', fields.ForeignKeyField('models.Drop', source_field='drop_id', null=True, db_constraint=True, to_field='id', related_name='campaigns', on_delete=OnDelete.SET_NULL)),
                ('url', fields.TextField(default='', unique=False)),
                ('status', fields.CharEnumField(default=CampaignStatus.SCHEDULED, description='SCHEDULED: scheduled\nQUEUED: queued\nCANCELLED: cancelled', enum_type=CampaignStatus, max_length=16)),
                ('send_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('after_session', fields.ForeignKeyField('models.LiveSession', source_field='after_session_id', null=True, db_constraint=True, to_field='id', related_name='campaigns', on_delete=OnDelete.CASCADE)),
                ('after_minutes', fields.IntField(default=0)),
                ('automatic', fields.CharEnumField(null=True, unique=True, description='ABANDONED_HOLD: abandoned_hold\nNEAR_TIER: near_tier', enum_type=Automatic, max_length=16)),
                ('queued_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'campaign', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CampaignVariant',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('campaign', fields.ForeignKeyField('models.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='variants', on_delete=OnDelete.CASCADE)),
                ('label', fields.CharField(max_length=8)),
                ('template', fields.TextField(unique=False)),
            ],
            options={'table': 'campaign_variant', 'app': 'models', 'unique_together': (('campaign', 'label'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConsentRecord',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('fan', fields.ForeignKeyField('models.Fan', source_field='fan_id', db_constraint=True, to_field='id', related_name='consent', on_delete=OnDelete.CASCADE)),
                ('given', fields.BooleanField()),
                ('platform', fields.CharEnumField(description='DISCORD: discord\nTELEGRAM: telegram\nSANDBOX: sandbox', enum_type=Platform, max_length=16)),
                ('how', fields.CharField(max_length=64)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'consent_record', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Each time a fan said yes or no to direct messages, where and how: the creator can'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Delivery',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('campaign', fields.ForeignKeyField('models.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('variant', fields.ForeignKeyField('models.CampaignVariant', source_field='variant_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('fan', fields.ForeignKeyField('models.Fan', source_field='fan_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('subject', fields.CharField(default='', max_length=32)),
                ('platform', fields.CharEnumField(description='DISCORD: discord\nTELEGRAM: telegram\nSANDBOX: sandbox', enum_type=Platform, max_length=16)),
                ('status', fields.CharEnumField(default=DeliveryStatus.QUEUED, description='QUEUED: queued\nSENDING: sending\nSENT: sent\nFAILED: failed\nSKIPPED: skipped', enum_type=DeliveryStatus, max_length=16)),
                ('reason', fields.CharField(null=True, max_length=64)),
                ('not_before', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claimed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('link_code', fields.CharField(null=True, max_length=16)),
            ],
            options={'table': 'delivery', 'app': 'models', 'unique_together': (('campaign', 'fan', 'subject'),), 'indexes': [Index(fields=['status', 'platform', 'not_before']), Index(fields=['fan_id', 'claimed_at'])], 'pk_attr': 'id', 'table_description': "One fan's DM of one campaign: at most one per fan, campaign and subject, ever. The"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LinkClick',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('link', fields.ForeignKeyField('models.Link', source_field='link_id', db_constraint=True, to_field='id', related_name='taps', on_delete=OnDelete.CASCADE)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'link_click', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Each tap, so orders that follow can be credited to the DM (and variant) it came from.'},
            bases=['Model'],
        ),
    ]
