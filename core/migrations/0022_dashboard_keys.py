from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0021_analytics_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DashboardKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('digest', fields.CharField(unique=True, max_length=64)),
                ('kind', fields.CharField(max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'dashboard_key', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A token, kept only as its SHA-256 digest: a copy of the database opens nothing.'},
            bases=['Model'],
        ),
    ]
