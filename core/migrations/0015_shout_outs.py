from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0014_rsvps')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Fan',
            name='named_in_shout_outs',
            field=fields.BooleanField(default=True),
        ),
    ]
