from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0013_sqlite_uniques')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Rsvp',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('session', fields.ForeignKeyField('models.LiveSession', source_field='session_id', db_constraint=True, to_field='id', related_name='rsvps', on_delete=OnDelete.CASCADE)),
                ('fan', fields.ForeignKeyField('models.Fan', source_field='fan_id', db_constraint=True, to_field='id', related_name='rsvps', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('reminded_day_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reminded_soon_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reminded_start_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'rsvp', 'app': 'models', 'unique_together': (('session', 'fan'),), 'pk_attr': 'id', 'table_description': 'A fan who said they will be there: each reminder is stamped once it went out.'},
            bases=['Model'],
        ),
    ]
