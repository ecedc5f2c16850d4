"""The tortoise config for writing new migrations (developers only):

    python -m tortoise -c bots.migrations_config.TORTOISE_ORM makemigrations -n what_changed

Migrations are tortoise operations, not SQL, so one set applies to SQLite and PostgreSQL.
"""

from bots.database import tortoise_config

TORTOISE_ORM = tortoise_config("sqlite://:memory:")
