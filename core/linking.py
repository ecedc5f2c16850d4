"""One fan, two platforms: a code asked for on one platform and sent from the other merges
the two fans into one, exactly once. Everything either fan had (accounts, orders, holds,
points, perks, consent) ends up with the fan who asked for the code."""

from __future__ import annotations

import secrets
from datetime import timedelta

from tortoise.transactions import in_transaction

from core import sql
from core.errors import InvalidInput, InvalidState
from core.models import LinkCode, PlatformAccount
from core.perks import PerkService
from core.ports import Clock
from core.recognition import Recognition

CODE_VALID = timedelta(minutes=10)
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread

_CLAIM = (
    'UPDATE "link_code" SET "used_at" = {0} WHERE "code" = {1} AND "used_at" IS NULL '
    'AND "expires_at" > {2} RETURNING "fan_id"'
)
# what moves from the fan who sent the code (L) to the one who asked for it (K): each
# statement with the fans its placeholders name, in order. Rows the kept fan already has an
# equal of are dropped (or, for holds, stood down from their slot) first.
_MERGE: tuple[tuple[str, str], ...] = (
    (
        'UPDATE "reservation" SET "slot" = NULL WHERE "fan_id" = {0} AND "slot" IS NOT NULL '
        'AND EXISTS (SELECT 1 FROM "reservation" r WHERE r."fan_id" = {1} '
        'AND r."tier_id" = "reservation"."tier_id" AND r."slot" = "reservation"."slot")',
        "LK",
    ),
    (
        'DELETE FROM "waitlist_entry" WHERE "fan_id" = {0} AND "tier_id" IN '
        '(SELECT "tier_id" FROM "waitlist_entry" WHERE "fan_id" = {1})',
        "LK",
    ),
    (
        'DELETE FROM "ledger_entry" WHERE "fan_id" = {0} AND EXISTS (SELECT 1 FROM '
        '"ledger_entry" e WHERE e."fan_id" = {1} AND e."reason" = "ledger_entry"."reason" '
        'AND e."source_id" = "ledger_entry"."source_id")',
        "LK",
    ),
    (
        'DELETE FROM "perk_grant" WHERE "fan_id" = {0} AND "perk_id" IN '
        '(SELECT "perk_id" FROM "perk_grant" WHERE "fan_id" = {1})',
        "LK",
    ),
    (
        'DELETE FROM "attendance" WHERE "fan_id" = {0} AND "session_id" IN '
        '(SELECT "session_id" FROM "attendance" WHERE "fan_id" = {1})',
        "LK",
    ),
    *(
        (f'UPDATE "{table}" SET "fan_id" = {{0}} WHERE "fan_id" = {{1}}', "KL")
        for table in (
            "platform_account",
            "order",
            "reservation",
            "waitlist_entry",
            "ledger_entry",
            "perk_grant",
            "link_code",
            "attendance",
        )
    ),
    (
        'UPDATE "fan" SET "dm_opt_in" = ("dm_opt_in" OR (SELECT "dm_opt_in" FROM "fan" f '
        'WHERE f."id" = {0})) WHERE "id" = {1}',
        "LK",
    ),
    ('DELETE FROM "fan" WHERE "id" = {0}', "L"),
)


class Linking:
    def __init__(self, clock: Clock, recognition: Recognition, perks: PerkService) -> None:
        self.clock = clock
        self.recognition = recognition
        self.perks = perks

    async def issue(self, fan_id: int) -> str:
        """A fresh code for this fan; codes they asked for before stop working."""
        now = self.clock.now()
        await LinkCode.filter(fan_id=fan_id, used_at__isnull=True).update(used_at=now)
        code = "".join(secrets.choice(ALPHABET) for _ in range(8))
        await LinkCode.create(code=code, fan_id=fan_id, expires_at=now + CODE_VALID)
        return code

    async def redeem(self, code: str, fan_id: int) -> int:
        """Merge the fan who sends `code` into the fan who asked for it; returns that fan."""
        code = code.strip().upper()
        found = await LinkCode.get_or_none(code=code[:16])
        now = self.clock.now()
        if found is None:
            raise InvalidInput(f"{code[:16]!r} is not a link code I gave out")
        if found.used_at is not None:
            raise InvalidState("that link code was used already; ask for a new one with /link")
        if found.expires_at <= now:
            raise InvalidState("that link code expired; ask for a new one with /link")
        if found.fan_id == fan_id:
            raise InvalidState("that code is for your other account: send it from there")
        await self._refuse_taken_platforms(found.fan_id, fan_id)
        async with in_transaction():
            if not await sql.rows(_CLAIM, now, code, now):
                raise InvalidState("that link code was used already; ask for a new one with /link")
            fans = {"K": found.fan_id, "L": fan_id}
            for statement, roles in _MERGE:
                await sql.rows(statement, *(fans[role] for role in roles))
        await self.recognition.retier(found.fan_id)
        await self.perks.reconcile(found.fan_id)
        return found.fan_id

    async def _refuse_taken_platforms(self, kept: int, merged: int) -> None:
        """One account per platform per fan: linking two Telegram accounts is refused."""
        mine = set(await PlatformAccount.filter(fan_id=kept).values_list("platform", flat=True))
        theirs = await PlatformAccount.filter(fan_id=merged).values_list("platform", flat=True)
        taken = mine & set(theirs)
        if taken:
            where = ", ".join(sorted(str(platform) for platform in taken))
            raise InvalidState(
                f"that code's fan already has a {where} account linked; "
                "an account can be linked to only one person"
            )
