"""One schedule of sends per platform token, shared by every process that sends with it.

Telegram counts its "about 30 messages a second" per bot token, however many processes send
with it: each process pacing itself lets four processes send up to four times that, and be
answered 429 (tests/faults/rush.py counts them). So each send first takes the next free
moment of the token's schedule, `interval` after the one taken before it, in one statement,
and waits for it. A send may book only so far ahead (its `lead`): a reply to what a fan just
did books any distance, a notice (a receipt, a reminder) a second, a campaign's DM a quarter
of a second; so a buyer's invoice waits at most about a second behind a burst of receipts
and never behind a campaign. README: How delivery works.
"""

from __future__ import annotations

from core import sql

ANY_LEAD = 86_400.0  # a reply to a fan books any distance ahead

# the schedule moves on only when it is booked no further ahead than the send's lead (a row
# it leaves alone returns none); several sends of one process may book their turns together
_TAKE = (
    'INSERT INTO "send_pace" ("key", "free_at") VALUES ({key}, {free_at}) '
    'ON CONFLICT ("key") DO UPDATE SET "free_at" = {GREATEST}("send_pace"."free_at", {now}) '
    '+ {span} WHERE "send_pace"."free_at" <= {booked_until} RETURNING "free_at"'
)
_BOOKED = 'SELECT "free_at" FROM "send_pace" WHERE "key" = {key}'


async def take_turns(
    key: str, interval: float, now: float, lead: float = ANY_LEAD, count: int = 1
) -> list[float] | None:
    """Seconds to wait before each of `count` sends may go out (0: at once), one interval
    apart; or None while the schedule is booked more than `lead` seconds ahead (ask again
    when it is not). `now` is the wall clock, which every process shares."""
    span = interval * count
    taken = await sql.rows(
        _TAKE, key=key, free_at=now + span, now=now, span=span, booked_until=now + lead
    )
    if not taken:
        return None
    first = float(taken[0]["free_at"]) - span
    return [max(0.0, first + n * interval - now) for n in range(count)]


async def take_turn(key: str, interval: float, now: float, lead: float = ANY_LEAD) -> float | None:
    """`take_turns` for one send."""
    turns = await take_turns(key, interval, now, lead)
    return None if turns is None else turns[0]


async def booked_until(key: str) -> float:
    """When the schedule is free again (0: it never was used)."""
    found = await sql.rows(_BOOKED, key=key)
    return float(found[0]["free_at"]) if found else 0.0
