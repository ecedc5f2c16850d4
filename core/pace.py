"""One schedule of sends per platform token, shared by every process that sends with it.

Telegram counts its "about 30 messages a second" per bot token, however many processes send
with it: each process pacing itself lets four processes send up to four times that, and be
answered 429 (tests/faults/rush.py counts them). So each send first takes the next free
moment of the token's schedule, `interval` after the one taken before it, in one statement,
and waits for it. A bulk send (a campaign's DM) takes a moment only when the schedule is not
booked ahead, so a fan's receipt or invoice never queues behind a campaign's backlog.
README: How delivery works.
"""

from __future__ import annotations

from core import sql

UNBOOKED = 86_400.0  # how far ahead a fan's own send may book: any distance at all

# placeholders in the order they appear: SQLite's are positional. The schedule moves on
# only when it is booked no further ahead than `lead` (a row it leaves alone returns none)
_TAKE = (
    'INSERT INTO "send_pace" ("key", "free_at") VALUES ({0}, {1}) ON CONFLICT ("key") '
    'DO UPDATE SET "free_at" = LATEST("send_pace"."free_at", {2}) + {3} '
    'WHERE "send_pace"."free_at" <= {4} RETURNING "free_at"'
)


async def take_turn(key: str, interval: float, now: float, *, bulk: bool = False) -> float | None:
    """Seconds to wait before this send may go out (0: at once), or None for a bulk send
    while the schedule is booked ahead (ask again after `interval`). `now` is the wall
    clock, which every process shares."""
    latest = "MAX" if sql.on_sqlite() else "GREATEST"
    lead = interval if bulk else UNBOOKED
    statement = _TAKE.replace("LATEST", latest)
    taken = await sql.rows(statement, key, now + interval, now, interval, now + lead)
    if not taken:
        return None
    return max(0.0, float(taken[0]["free_at"]) - interval - now)
