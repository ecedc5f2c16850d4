"""Triggers that mark a fan stale whenever a row the analytics count changes.

The rollups (core/analytics/rollups.py) recount only stale fans, so every write that can
move a figure must mark its fan: a trigger cannot be forgotten by a new write path, and it
also sees bulk loads and hand-made test data. A change to a session's start marks the fans
whose figures it moves: its listeners, and the buyers of the day after it. Written by hand.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

# tables with a fan_id, and the columns whose updates can move a figure
FAN_TABLES = {
    "order": "fan_id, status, created_at, amount_minor, currency, tier_id, hold_id",
    "attendance": "fan_id, session_id, first_seen_at, minutes",
    "rsvp": "fan_id, session_id, created_at",
    "reservation": "fan_id, tier_id, created_at, copy_label",
    "ledger_entry": "fan_id, reason, created_at",
    "delivery": "fan_id, campaign_id, variant_id, status",
}

# the fans behind a link (a campaign DM's, or a hold's pay link), given the link's id
LINK_FANS = (
    'SELECT x.fan_id FROM "link" l JOIN "delivery" x ON x.id = '
    "CASE WHEN l.purpose = 'delivery' THEN CAST(l.ref AS INTEGER) END WHERE l.id = {0} "
    'UNION SELECT r.fan_id FROM "link" l JOIN "reservation" r ON r.id = '
    "CASE WHEN l.purpose = 'pay' THEN CAST(l.ref AS INTEGER) END WHERE l.id = {0}"
)
SESSION_FANS = {
    "sqlite": (
        'SELECT fan_id FROM "attendance" WHERE session_id = NEW.id UNION '
        'SELECT fan_id FROM "order" WHERE NEW.started_at IS NOT NULL '
        "AND created_at >= NEW.started_at "
        "AND created_at <= strftime('%Y-%m-%d %H:%M:%S', NEW.started_at, '+1441 minutes')"
    ),
    "postgres": (
        'SELECT fan_id FROM "attendance" WHERE session_id = NEW.id UNION '
        'SELECT fan_id FROM "order" WHERE NEW.started_at IS NOT NULL '
        "AND created_at >= NEW.started_at "
        "AND created_at <= NEW.started_at + INTERVAL '1441 minutes'"
    ),
}


def sqlite_triggers() -> list[str]:
    def trigger(name: str, event: str, table: str, fans: str) -> str:
        return (
            f'CREATE TRIGGER IF NOT EXISTS "stale_{name}" AFTER {event} ON "{table}" BEGIN '
            f'INSERT OR IGNORE INTO "stale_fan" (fan_id) SELECT fan_id FROM ({fans}) '
            "WHERE fan_id IS NOT NULL; END"
        )

    found = []
    for table, columns in FAN_TABLES.items():
        found += [
            trigger(f"{table}_insert", "INSERT", table, "SELECT NEW.fan_id AS fan_id"),
            trigger(
                f"{table}_update", f"UPDATE OF {columns}", table,
                "SELECT NEW.fan_id AS fan_id UNION SELECT OLD.fan_id",
            ),
            trigger(f"{table}_delete", "DELETE", table, "SELECT OLD.fan_id AS fan_id"),
        ]  # fmt: skip
    found += [
        trigger("link_click", "INSERT", "link_click", LINK_FANS.format("NEW.link_id")),
        trigger("link_clicks", "UPDATE OF clicks", "link", LINK_FANS.format("NEW.id")),
        trigger("fan_tier", "UPDATE OF tier", "fan", "SELECT NEW.id AS fan_id"),
        trigger("session_insert", "INSERT", "live_session", SESSION_FANS["sqlite"]),
        trigger("session_start", "UPDATE OF started_at", "live_session", SESSION_FANS["sqlite"]),
    ]
    return found


def postgres_triggers() -> list[str]:
    def function(name: str, body: str) -> str:
        return (
            f'CREATE OR REPLACE FUNCTION "stale_{name}"() RETURNS trigger AS $$ BEGIN {body} '
            "RETURN NULL; END $$ LANGUAGE plpgsql"
        )

    def mark(fans: str) -> str:
        return (
            f'INSERT INTO "stale_fan" (fan_id) SELECT fan_id FROM ({fans}) f '
            "WHERE fan_id IS NOT NULL ON CONFLICT DO NOTHING;"
        )

    def trigger(name: str, event: str, table: str, fn: str) -> str:
        return (
            f'CREATE TRIGGER "stale_{name}" AFTER {event} ON "{table}" '
            f'FOR EACH ROW EXECUTE FUNCTION "stale_{fn}"()'
        )

    found = [
        function(
            "fan_row",
            f"IF TG_OP <> 'DELETE' THEN {mark('SELECT NEW.fan_id AS fan_id')} END IF; "
            f"IF TG_OP <> 'INSERT' THEN {mark('SELECT OLD.fan_id AS fan_id')} END IF;",
        ),
        function("link_click", mark(LINK_FANS.format("NEW.link_id"))),
        function("link_clicks", mark(LINK_FANS.format("NEW.id"))),
        function("fan_tier", mark("SELECT NEW.id AS fan_id")),
        function("session_start", mark(SESSION_FANS["postgres"])),
    ]
    for table, columns in FAN_TABLES.items():
        found.append(
            trigger(table, f"INSERT OR DELETE OR UPDATE OF {columns}", table, "fan_row")
        )
    found += [
        trigger("link_click", "INSERT", "link_click", "link_click"),
        trigger("link_clicks", "UPDATE OF clicks", "link", "link_clicks"),
        trigger("fan_tier", "UPDATE OF tier", "fan", "fan_tier"),
        trigger("session_start", "INSERT OR UPDATE OF started_at", "live_session", "session_start"),
    ]
    return found


async def create(apps, schema_editor):
    client = schema_editor.client
    sqlite = client.capabilities.dialect == "sqlite"
    for statement in sqlite_triggers() if sqlite else postgres_triggers():
        await client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0024_rollups")]

    initial = False

    operations = [ops.RunPython(create, ops.RunPython.noop)]
