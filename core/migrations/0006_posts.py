from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_statuses')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Post',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community', fields.ForeignKeyField('models.Community', source_field='community_id', db_constraint=True, to_field='id', related_name='posts', on_delete=OnDelete.CASCADE)),
                ('drop', fields.ForeignKeyField('models.Drop', source_field='drop_id', db_constraint=True, to_field='id', related_name='posts', on_delete=OnDelete.CASCADE)),
                ('message_ref', fields.CharField(max_length=64)),
                ('shown', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'post', 'app': 'models', 'unique_together': (('community', 'drop'),), 'pk_attr': 'id', 'table_description': 'Where a drop was announced in a community, so later changes edit that post in place.'},
            bases=['Model'],
        ),
    ]
