"""Whether the process can reach its database, for load balancers and `/healthz`."""

from core.models import Fan


async def database_answers() -> bool:
    try:
        await Fan._meta.db.execute_query("SELECT 1")
    except Exception:
        return False
    return True
