from tortoise import migrations
from tortoise.migrations import operations as ops
from core.kinds import Platform
from core.kinds import PerkGrantStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_posts')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Perk',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=32)),
                ('title', fields.CharField(max_length=100)),
                ('platform', fields.CharEnumField(description='DISCORD: discord\nTELEGRAM: telegram\nSANDBOX: sandbox', enum_type=Platform, max_length=16)),
                ('place_ref', fields.CharField(max_length=64)),
                ('ref', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'perk', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A reward on one platform, named by the creator: `place_ref` is where it lives (the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PerkGrant',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('perk', fields.ForeignKeyField('models.Perk', source_field='perk_id', db_constraint=True, to_field='id', related_name='grants', on_delete=OnDelete.CASCADE)),
                ('fan', fields.ForeignKeyField('models.Fan', source_field='fan_id', db_constraint=True, to_field='id', related_name='perk_grants', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(description='GRANTED: granted\nREVOKED: revoked', enum_type=PerkGrantStatus, max_length=16)),
                ('access', fields.CharField(default='', max_length=255)),
                ('changed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'perk_grant', 'app': 'models', 'unique_together': (('perk', 'fan'),), 'pk_attr': 'id', 'table_description': 'What the platform was last told for one fan and one perk. Only a conditional update'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='DropTier',
            name='perk',
            field=fields.ForeignKeyField('models.Perk', source_field='perk_id', null=True, db_constraint=True, to_field='id', related_name='tiers', on_delete=OnDelete.RESTRICT),
        ),
    ]
