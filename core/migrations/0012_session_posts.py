from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0011_listening')]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name='Post',
            options={'table': 'post', 'app': 'models', 'unique_together': (('community', 'drop'), ('community', 'session')), 'pk_attr': 'id', 'table_description': 'Where a drop (or a live session) was announced in a community, so later changes edit'},
        ),
        ops.AlterField(
            model_name='Post',
            name='drop',
            field=fields.ForeignKeyField('models.Drop', source_field='drop_id', null=True, db_constraint=True, to_field='id', related_name='posts', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='Post',
            name='session',
            field=fields.ForeignKeyField('models.LiveSession', source_field='session_id', null=True, db_constraint=True, to_field='id', related_name='posts', on_delete=OnDelete.CASCADE),
        ),
        ops.AddConstraint(
            model_name='Post',
            constraint=UniqueConstraint(fields=('community', 'session'), name=None),
        ),
    ]
