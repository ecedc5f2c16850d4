from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0020_drop_copy')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Attendance',
            index=Index(fields=['fan_id', 'first_seen_at']),
        ),
        ops.AddIndex(
            model_name='LinkClick',
            index=Index(fields=['link_id', 'at']),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['fan_id', 'created_at']),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['tier_id', 'status']),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['created_at']),
        ),
        ops.AddIndex(
            model_name='Reservation',
            index=Index(fields=['fan_id', 'created_at']),
        ),
    ]
