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
    found = await sql.rows(
        f'SELECT key, {", ".join(NUMBERS)} FROM "rollup_total" WHERE rollup = {{0}} '
        "AND key <> {1} ORDER BY key",
        rollup.name,
        BUILT,
    )
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
    if await sql.rows('SELECT fan_id FROM "stale_fan" LIMIT 1'):
        return True
    names = [r.name for r in rollups]
    marks = ", ".join(f"{{{i}}}" for i in range(len(names)))
    built = await sql.rows(
        f'SELECT rollup FROM "rollup_total" WHERE key = {{{len(names)}}} AND rollup IN ({marks})',
        *names,
        BUILT,
    )
    if len(built) < len(names):
        return True
    queued = f'SELECT fan_id FROM "rollup_stale" WHERE rollup IN ({marks}) LIMIT 1'
    return bool(await sql.rows(queued, *names))


async def _hand_on_marks() -> None:
    """Move the triggers' marks into the queue of every rollup built so far."""
    built = f"SELECT rollup FROM \"rollup_total\" WHERE key = '{BUILT}'"
    if sql.on_sqlite():  # the marks handed on are exactly the marks taken
        taken = [
            int(r["fan_id"]) for r in await sql.rows('DELETE FROM "stale_fan" RETURNING fan_id')
        ]
        for start in range(0, len(taken), BATCH):
            listed = ", ".join(f"({fan})" for fan in taken[start : start + BATCH])
            await sql.rows(
                'INSERT OR IGNORE INTO "rollup_stale" (rollup, fan_id) '
                f"SELECT b.rollup, f.column1 FROM (VALUES {listed}) f CROSS JOIN ({built}) b"
            )
    else:  # in one statement, so a mark cannot land between taking and handing on
        await sql.rows(
            'WITH taken AS (DELETE FROM "stale_fan" RETURNING fan_id) '
            'INSERT INTO "rollup_stale" (rollup, fan_id) '
            f"SELECT b.rollup, t.fan_id FROM taken t CROSS JOIN ({built}) b "
            "ON CONFLICT DO NOTHING"
        )


async def _built(rollup: Rollup) -> bool:
    return bool(
        await sql.rows(
            'SELECT 1 AS yes FROM "rollup_total" WHERE rollup = {0} AND key = {1}',
            rollup.name,
            BUILT,
        )
    )


async def _build(rollup: Rollup) -> None:
    # its own rows, and those of its family (its own included) built from other settings
    same, name = ("LIKE", f"{rollup.family} %") if rollup.family else ("=", rollup.name)
    for table in ("rollup_part", "rollup_total", "rollup_stale"):
        await sql.rows(f'DELETE FROM "{table}" WHERE rollup {same} {{0}}', name)
    await _add_parts(rollup, every_fan)
    if not sql.on_sqlite():
        # up to millions of new parts: without statistics the next recount would plan for
        # the table as it was
        await sql.rows('ANALYZE "rollup_part"')
    await sql.rows(
        f'INSERT INTO "rollup_total" (rollup, key, {", ".join(NUMBERS)}) '
        f'SELECT rollup, key, {_sums()} FROM "rollup_part" WHERE rollup = {{0}} '
        "GROUP BY rollup, key",
        rollup.name,
    )
    await sql.rows(
        f'INSERT INTO "rollup_total" (rollup, key, {", ".join(NUMBERS)}) '
        "VALUES ({0}, {1}, 0, 0, 0, 0, 0)",
        rollup.name,
        BUILT,
    )


async def _recount_stale(rollup: Rollup) -> None:
    while claimed := await sql.rows(
        'DELETE FROM "rollup_stale" WHERE id IN (SELECT id FROM "rollup_stale" '
        f"WHERE rollup = {{0}} LIMIT {BATCH}) RETURNING fan_id",
        rollup.name,
    ):
        fans = fans_in([int(r["fan_id"]) for r in claimed])
        await _add_to_totals(rollup, fans, -1)
        await sql.rows(
            f'DELETE FROM "rollup_part" WHERE rollup = {{0}} AND {fans("fan_id")}', rollup.name
        )
        await _add_parts(rollup, fans)
        await _add_to_totals(rollup, fans, 1)
    zero = " AND ".join(f"{n} = 0" for n in NUMBERS)
    await sql.rows(
        f'DELETE FROM "rollup_total" WHERE rollup = {{0}} AND key <> {{1}} AND {zero}',
        rollup.name,
        BUILT,
    )


async def _add_parts(rollup: Rollup, fans: Fans) -> None:
    await sql.rows(
        f'INSERT INTO "rollup_part" (rollup, fan_id, key, {", ".join(NUMBERS)}) '
        f"SELECT {{0}}, fan_id, key, {', '.join(NUMBERS)} FROM ({rollup.parts(fans)}) p",
        rollup.name,
    )


async def _add_to_totals(rollup: Rollup, fans: Fans, sign: int) -> None:
    """Add (sign 1) or take out (sign -1) the parts of these fans."""
    sums = ", ".join(f"{sign} * SUM({n})" for n in NUMBERS)
    update = ", ".join(f'{n} = "rollup_total".{n} + excluded.{n}' for n in NUMBERS)
    await sql.rows(
        f'INSERT INTO "rollup_total" (rollup, key, {", ".join(NUMBERS)}) '
        f'SELECT rollup, key, {sums} FROM "rollup_part" '
        f"WHERE rollup = {{0}} AND {fans('fan_id')} GROUP BY rollup, key "
        f"ON CONFLICT (rollup, key) DO UPDATE SET {update}",
        rollup.name,
    )


def _sums() -> str:
    return ", ".join(f"SUM({n})" for n in NUMBERS)
