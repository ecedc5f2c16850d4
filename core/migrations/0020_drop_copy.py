from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0019_campaigns')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Drop',
            name='copy_variants',
            field=fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Reservation',
            name='copy_label',
            field=fields.CharField(null=True, max_length=8),
        ),
    ]
