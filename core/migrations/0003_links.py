from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_provider_events')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Link',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=16)),
                ('target', fields.TextField(unique=False)),
                ('purpose', fields.CharField(max_length=32)),
                ('ref', fields.CharField(max_length=64)),
                ('clicks', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_clicked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'link', 'app': 'models', 'unique_together': (('purpose', 'ref'),), 'pk_attr': 'id', 'table_description': "`purpose` and `ref` say what the link is for (a hold's pay link, later a campaign's),"},
            bases=['Model'],
        ),
    ]
