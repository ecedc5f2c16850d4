from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0022_dashboard_keys')]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name='ProviderEvent',
            options={'table': 'provider_event', 'app': 'models', 'unique_together': (('provider', 'event_id'),), 'pk_attr': 'id', 'table_description': 'Kept on arrival, handled after the provider has had its answer.'},
        ),
        ops.AddField(
            model_name='ProviderEvent',
            name='attempts',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='ProviderEvent',
            name='due_at',
            field=fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ProviderEvent',
            name='payload',
            field=fields.TextField(null=True, unique=False),
        ),
    ]
