from tortoise import migrations
from tortoise.migrations import operations as ops
from core.kinds import NoticeStatus
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0025_stale_fan_triggers')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Notice',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subscriber', fields.CharField(max_length=64)),
                ('kind', fields.CharField(max_length=64)),
                ('payload', fields.TextField(unique=False)),
                ('target', fields.IntField(null=True)),
                ('key', fields.CharField(null=True, max_length=64)),
                ('status', fields.CharEnumField(default=NoticeStatus.QUEUED, description='QUEUED: queued\nSENDING: sending\nSENT: sent\nFAILED: failed', enum_type=NoticeStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claimed_by', fields.CharField(null=True, max_length=64)),
                ('reason', fields.CharField(null=True, max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notice', 'app': 'models', 'indexes': [Index(fields=['status', 'due_at']), Index(fields=['key', 'status'])], 'pk_attr': 'id', 'table_description': "One subscriber's side effect of one committed domain event: a DM, a post edit, a pay"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Worker',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('role', fields.CharField(max_length=32)),
                ('seen_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'worker', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A running process that claims work (notices, provider events): it says it is alive'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='ProviderEvent',
            name='claimed_by',
            field=fields.CharField(null=True, max_length=64),
        ),
    ]
