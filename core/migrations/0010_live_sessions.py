from tortoise import migrations
from tortoise.migrations import operations as ops
from core.kinds import LiveStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_link_codes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LiveSession',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('title', fields.CharField(max_length=120)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('planned_minutes', fields.IntField(default=30)),
                ('drop', fields.ForeignKeyField('models.Drop', source_field='drop_id', null=True, db_constraint=True, to_field='id', related_name='live_sessions', on_delete=OnDelete.SET_NULL)),
                ('status', fields.CharEnumField(default=LiveStatus.SCHEDULED, description='SCHEDULED: scheduled\nLIVE: live\nENDED: ended\nCANCELLED: cancelled', enum_type=LiveStatus, max_length=16)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'live_session', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Attendance',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('session', fields.ForeignKeyField('models.LiveSession', source_field='session_id', db_constraint=True, to_field='id', related_name='attendance', on_delete=OnDelete.CASCADE)),
                ('fan', fields.ForeignKeyField('models.Fan', source_field='fan_id', db_constraint=True, to_field='id', related_name='attendance', on_delete=OnDelete.CASCADE)),
                ('first_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('minutes', fields.IntField(default=0)),
            ],
            options={'table': 'attendance', 'app': 'models', 'unique_together': (('session', 'fan'),), 'pk_attr': 'id', 'table_description': 'A fan who was at a session (checked in, claimed a code, or listened).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LiveCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('session', fields.ForeignKeyField('models.LiveSession', source_field='session_id', db_constraint=True, to_field='id', related_name='codes', on_delete=OnDelete.CASCADE)),
                ('code', fields.CharField(unique=True, max_length=16)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'live_code', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A short code the creator says on air: fans who send it in time earn points.'},
            bases=['Model'],
        ),
    ]
