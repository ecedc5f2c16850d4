from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0029_send_pace')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Delivery',
            name='attempts',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='Delivery',
            name='claimed_by',
            field=fields.CharField(null=True, max_length=64),
        ),
    ]
