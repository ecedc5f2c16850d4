"""Rollups: a metric's running totals, kept exact by recounting only the fans whose data
changed, so that a report reads thousands of rows where the raw data has millions
(bench/analytics.py).

A rollup is one SELECT of each fan's part of the totals: rows of (fan_id, key, n1 … n5),
whose numbers add up across fans (fans, orders, revenue, …). Building runs it for every
fan; refreshing runs it for the fans marked stale since, after taking their old parts out
of the totals. Both run the same SELECT, so they cannot disagree.

Database triggers (migration 0025) mark a fan stale on every write a metric counts. Each
read hands the marks on to every rollup built so far, each with its own queue, so a
process that reads one metric never leaves another behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from core import sql

NUMBERS = ("n1", "n2", "n3", "n4", "n5")
BUILT = "#built"  # the key of the row that says a rollup has been built
BATCH = 5_000  # fans recounted per statement

# Picks the fans a part is counted for: given the SQL of a fan id column, a condition.
Fans = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Rollup:
    name: str
    # the SELECT of fan_id, key (text) and n1 … n5, for the fans a condition picks
    parts: Callable[[Fans], str]
    # rollups made from settings (attribution's window and cap) share a family, the start
    # of their names: building "attribution 7d 60min" drops any other "attribution …",
    # built from earlier settings
    family: str = ""


@dataclass(frozen=True, slots=True)
class Total:
    key: str
    n: tuple[int, int, int, int, int]


_COLUMNS = ", ".join(NUMBERS)
_TOTALS = (
    f'SELECT key, {_COLUMNS} FROM "rollup_total" WHERE rollup = {{rollup}} AND key <> {{built}} '
    "ORDER BY key"
)
_ANY_MARK = 'SELECT fan_id FROM "stale_fan" LIMIT 1'
_BUILT_AMONG = 'SELECT rollup FROM "rollup_total" WHERE key = {built} AND rollup IN ({names})'
_ANY_QUEUED = 'SELECT fan_id FROM "rollup_stale" WHERE rollup IN ({names}) LIMIT 1'
_IS_BUILT = 'SELECT 1 AS yes FROM "rollup_total" WHERE rollup = {rollup} AND key = {built}'

_BUILT_ROLLUPS = f"SELECT rollup FROM \"rollup_total\" WHERE key = '{BUILT}'"
_TAKE_MARKS = 'DELETE FROM "stale_fan" RETURNING fan_id'

# a rollup's rows, by table: its own ({name} is its name), or its family's ({name} is
# "family %")
_TABLES = ("rollup_part", "rollup_total", "rollup_stale")
_CLEAR = {
    same: tuple(f'DELETE FROM "{table}" WHERE rollup {same} {{name}}' for table in _TABLES)
    for same in ("=", "LIKE")
}
_SUM_PARTS = (
    f'INSERT INTO "rollup_total" (rollup, key, {_COLUMNS}) '
    f'SELECT rollup, key, {", ".join(f"SUM({n})" for n in NUMBERS)} FROM "rollup_part" '
    "WHERE rollup = {rollup} GROUP BY rollup, key"
)
_MARK_BUILT = (
    f'INSERT INTO "rollup_total" (rollup, key, {_COLUMNS}) '
    "VALUES ({rollup}, {built}, 0, 0, 0, 0, 0)"
)
_CLAIM_STALE = (
    'DELETE FROM "rollup_stale" WHERE id IN (SELECT id FROM "rollup_stale" '
    f"WHERE rollup = {{rollup}} LIMIT {BATCH}) RETURNING fan_id"
)
_DROP_ZEROS = (
    'DELETE FROM "rollup_total" WHERE rollup = {rollup} AND key <> {built} AND '
    + " AND ".join(f"{n} = 0" for n in NUMBERS)
)
# parts added to (1) or taken out of (-1) the totals (`_add_to_totals`)
_SIGNED_SUMS = {sign: ", ".join(f"{sign} * SUM({n})" for n in NUMBERS) for sign in (1, -1)}
_ADDED = ", ".join(f'{n} = "rollup_total".{n} + excluded.{n}' for n in NUMBERS)


def every_fan(column: str) -> str:
    return f"{column} IS NOT NULL"


def fans_in(ids: list[int]) -> Fans:
    listed = ", ".join(str(int(i)) for i in ids)
    return lambda column: f"{column} IN ({listed})"


_frozen: ContextVar[bool] = ContextVar("rollups_frozen", default=False)


@contextmanager
def frozen() -> Iterator[None]:
    """Within a read-only snapshot: read the totals as they stand, without refreshing."""
    token = _frozen.set(True)
    try:
        yield
    finally:
        _frozen.reset(token)


async def totals(rollup: Rollup) -> list[Total]:
    """The rollup's totals, brought up to date first."""
    await up_to_date(rollup)
    found = await sql.rows(_TOTALS, rollup=rollup.name, built=BUILT)
    return [_total(row) for row in found]


def _total(row: dict[str, object]) -> Total:
    n1, n2, n3, n4, n5 = (int(str(row[n])) for n in NUMBERS)
    return Total(str(row["key"]), (n1, n2, n3, n4, n5))


async def up_to_date(*rollups: Rollup) -> None:
    """Build the rollups not built yet, and recount their stale fans. Cheap when nothing
    changed: three small reads."""
    if _frozen.get() or not await _work_for(rollups):
        return
    async with in_transaction():
        if not sql.on_sqlite():
            # one refresher at a time, or two would both add the same parts
            await sql.rows("SELECT pg_advisory_xact_lock(hashtext('dropcast rollups'))")
            # room for a build's sorts and hashes: with the default 4 MB, a parallel DISTINCT
            # over 2M listens spilled for seven minutes, with 64 MB it takes a second
            await sql.rows("SET LOCAL work_mem = '64MB'")
            # recounting a few fans is many short statements: compiling each costs more than
            # it saves
            await sql.rows("SET LOCAL jit = off")
        await _hand_on_marks()
        for rollup in rollups:
            if await _built(rollup):
                await _recount_stale(rollup)
            else:
                await _build(rollup)


async def _work_for(rollups: tuple[Rollup, ...]) -> bool:
    if await sql.rows(_ANY_MARK):
        return True
    names = [r.name for r in rollups]
    built = await sql.rows(_BUILT_AMONG, built=BUILT, names=names)
    if len(built) < len(names):
        return True
    return bool(await sql.rows(_ANY_QUEUED, names=names))


async def _hand_on_marks() -> None:
    """Move the triggers' marks into the queue of every rollup built so far."""
    # each dialect's own, so written here: a module constant is checked on both databases
    # (tests/integration/test_statements.py)
    if sql.on_sqlite():  # the marks handed on are exactly the marks taken
        taken = [(int(r["fan_id"]),) for r in await sql.rows(_TAKE_MARKS)]
        for start in range(0, len(taken), BATCH):
            await sql.rows(
                'INSERT OR IGNORE INTO "rollup_stale" (rollup, fan_id) SELECT b.rollup, '
                f"f.column1 FROM (VALUES {{fans}}) f CROSS JOIN ({_BUILT_ROLLUPS}) b",
                fans=taken[start : start + BATCH],
            )
    else:  # in one statement, so a mark cannot land between taking and handing on
        await sql.rows(
            'WITH taken AS (DELETE FROM "stale_fan" RETURNING fan_id) '
            'INSERT INTO "rollup_stale" (rollup, fan_id) '
            f"SELECT b.rollup, t.fan_id FROM taken t CROSS JOIN ({_BUILT_ROLLUPS}) b "
            "ON CONFLICT DO NOTHING"
        )


async def _built(rollup: Rollup) -> bool:
    return bool(await sql.rows(_IS_BUILT, rollup=rollup.name, built=BUILT))


async def _build(rollup: Rollup) -> None:
    # its own rows, and those of its family (its own included) built from other settings
    same, name = ("LIKE", f"{rollup.family} %") if rollup.family else ("=", rollup.name)
    for statement in _CLEAR[same]:
        await sql.rows(statement, name=name)
    await _add_parts(rollup, every_fan)
    if not sql.on_sqlite():
        # up to millions of new parts: without statistics the next recount would plan for
        # the table as it was
        await sql.rows('ANALYZE "rollup_part"')
    await sql.rows(_SUM_PARTS, rollup=rollup.name)
    await sql.rows(_MARK_BUILT, rollup=rollup.name, built=BUILT)


async def _recount_stale(rollup: Rollup) -> None:
    while claimed := await sql.rows(_CLAIM_STALE, rollup=rollup.name):
        fans = fans_in([int(r["fan_id"]) for r in claimed])
        await sql.rows(_add_to_totals(fans, -1), rollup=rollup.name)
        await sql.rows(_drop_parts(fans), rollup=rollup.name)
        await _add_parts(rollup, fans)
        await sql.rows(_add_to_totals(fans, 1), rollup=rollup.name)
    await sql.rows(_DROP_ZEROS, rollup=rollup.name, built=BUILT)


async def _add_parts(rollup: Rollup, fans: Fans) -> None:
    await sql.rows(_parts_of(rollup, fans), rollup=rollup.name)


# The statements below are written once their fans are known: the fans a recount picks are
# in their text, as numbers (`fans_in`), where as values a batch of 5,000 fans named up to
# five times in one statement would be 25,000 of them, near the 32,766 both drivers take;
# and a rollup's parts use each dialect's own date arithmetic (core/analytics/dialect.py).
# Their one value is the rollup's name.
def _parts_of(rollup: Rollup, fans: Fans) -> str:
    return (
        f'INSERT INTO "rollup_part" (rollup, fan_id, key, {_COLUMNS}) '
        f"SELECT {{rollup}}, fan_id, key, {_COLUMNS} FROM ({rollup.parts(fans)}) p"
    )


def _drop_parts(fans: Fans) -> str:
    return f'DELETE FROM "rollup_part" WHERE rollup = {{rollup}} AND {fans("fan_id")}'


def _add_to_totals(fans: Fans, sign: int) -> str:
    """Adds (sign 1) or takes out (sign -1) the parts of these fans."""
    return (
        f'INSERT INTO "rollup_total" (rollup, key, {_COLUMNS}) '
        f'SELECT rollup, key, {_SIGNED_SUMS[sign]} FROM "rollup_part" '
        f"WHERE rollup = {{rollup}} AND {fans('fan_id')} GROUP BY rollup, key "
        f"ON CONFLICT (rollup, key) DO UPDATE SET {_ADDED}"
    )
