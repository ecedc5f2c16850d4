from tortoise import migrations
from tortoise.migrations import operations as ops
from core.kinds import FanTier
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0007_perks')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Perk',
            name='min_tier',
            field=fields.CharEnumField(null=True, description='FAN: fan\nSUPPORTER: supporter\nINSIDER: insider\nINNER_CIRCLE: inner_circle', enum_type=FanTier, max_length=16),
        ),
    ]
