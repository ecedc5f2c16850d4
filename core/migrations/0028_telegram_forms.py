from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0027_event_keys')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TelegramForm',
            fields=[
                ('user_id', fields.BigIntField(primary_key=True, unique=True, db_index=True)),
                ('chat_id', fields.BigIntField()),
                ('step', fields.CharField(max_length=16)),
                ('answers', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'telegram_form', 'app': 'models', 'pk_attr': 'user_id', 'table_description': "One admin's form in progress, kept in the database rather than a process's memory."},
            bases=['Model'],
        ),
    ]
