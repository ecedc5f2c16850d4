"""Put back unique constraints SQLite lost.

tortoise's SQLite schema editor rebuilds a table for AlterField and leaves its unique
constraints behind: 0005 lost reservation (tier, fan, slot) and order (hold), 0012 lost
post (community, drop). PostgreSQL alters in place and kept them, so this runs on SQLite
only. Written by hand.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

UNIQUES = (
    'CREATE UNIQUE INDEX IF NOT EXISTS "uid_reservation_tier_fan_slot" '
    'ON "reservation" ("tier_id", "fan_id", "slot")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "uid_order_hold" ON "order" ("hold_id")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "uid_post_community_drop" '
    'ON "post" ("community_id", "drop_id")',
)


async def restore(apps, schema_editor):
    client = schema_editor.client
    if client.capabilities.dialect != "sqlite":
        return
    for statement in UNIQUES:
        await client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0012_session_posts")]

    initial = False

    operations = [ops.RunPython(restore, ops.RunPython.noop)]
