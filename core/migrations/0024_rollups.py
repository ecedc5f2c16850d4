from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0023_inbox_payloads')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RollupPart',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('rollup', fields.CharField(max_length=64)),
                ('fan_id', fields.IntField()),
                ('key', fields.CharField(max_length=128)),
                ('n1', fields.BigIntField(default=0)),
                ('n2', fields.BigIntField(default=0)),
                ('n3', fields.BigIntField(default=0)),
                ('n4', fields.BigIntField(default=0)),
                ('n5', fields.BigIntField(default=0)),
            ],
            options={'table': 'rollup_part', 'app': 'models', 'indexes': [Index(fields=['rollup', 'fan_id'])], 'pk_attr': 'id', 'table_description': "One fan's share of a rollup's totals, kept so that it can be taken out again."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RollupStale',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('rollup', fields.CharField(max_length=64)),
                ('fan_id', fields.IntField()),
            ],
            options={'table': 'rollup_stale', 'app': 'models', 'unique_together': (('rollup', 'fan_id'),), 'pk_attr': 'id', 'table_description': 'A fan a rollup has still to recount.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RollupTotal',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('rollup', fields.CharField(max_length=64)),
                ('key', fields.CharField(max_length=128)),
                ('n1', fields.BigIntField(default=0)),
                ('n2', fields.BigIntField(default=0)),
                ('n3', fields.BigIntField(default=0)),
                ('n4', fields.BigIntField(default=0)),
                ('n5', fields.BigIntField(default=0)),
            ],
            options={'table': 'rollup_total', 'app': 'models', 'unique_together': (('rollup', 'key'),), 'pk_attr': 'id', 'table_description': "The sum of every fan's part of a rollup, per key."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StaleFan',
            fields=[
                ('fan_id', fields.IntField(primary_key=True, unique=True, db_index=True)),
            ],
            options={'table': 'stale_fan', 'app': 'models', 'pk_attr': 'fan_id', 'table_description': 'A fan whose data changed since the rollups last heard.'},
            bases=['Model'],
        ),
        ops.AddIndex(
            model_name='Rsvp',
            index=Index(fields=['fan_id', 'created_at']),
        ),
        ops.RemoveIndex(
            model_name='Order',
            name=None,
            fields=['tier_id', 'status'],
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['tier_id', 'status', 'created_at']),
        ),
        ops.AddIndex(
            model_name='LiveSession',
            index=Index(fields=['started_at']),
        ),
    ]
