from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0015_shout_outs')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Post',
            name='event_ref',
            field=fields.CharField(null=True, max_length=64),
        ),
    ]
