from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0028_telegram_forms')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SendPace',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('free_at', fields.FloatField()),
            ],
            options={'table': 'send_pace', 'app': 'models', 'pk_attr': 'key', 'table_description': 'When the next message may go out with this token, in seconds since the epoch.'},
            bases=['Model'],
        ),
    ]
