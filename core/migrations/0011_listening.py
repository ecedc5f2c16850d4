from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_live_sessions')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Attendance',
            name='listening_since',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='LiveSession',
            name='voice_channel_ref',
            field=fields.CharField(null=True, max_length=64),
        ),
    ]
