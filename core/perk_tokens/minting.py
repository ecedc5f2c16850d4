"""Minting a set: its N numbered tokens are made at once, and the first N fans its rule finds
get #1.. in order; any left over stay unclaimed (and are shown so), never doubled. A
giveaway is drawn once, when its session ends or when the creator asks: the draw claims the
set (`drawn_at IS NULL`), so a second clock or a repeated command draws nothing."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from core import sql
from core.bus import Changes, EventBus
from core.errors import InvalidInput, InvalidState, NotFound
from core.events import LiveEnded, TokenGiven
from core.kinds import LiveStatus
from core.models import LiveSession, Perk, PerkToken, PerkTokenSet, TokenPerk
from core.perk_tokens.figures import SetFigures, set_figures
from core.perk_tokens.rules import GIVEAWAY, Rule, draw
from core.ports import Clock

MOST_TOKENS = 1000
MOST_DAYS = 90
_CLAIM_DRAW = (
    'UPDATE "perk_token_set" SET "drawn_at" = {now} WHERE "id" = {id} AND "drawn_at" IS NULL '
    'RETURNING "id"'
)
_GIVE = (
    'UPDATE "perk_token" SET "holder_id" = {fan_id}, "claimed_at" = {now} '
    'WHERE "token_set_id" = {set_id} AND "number" = {number} AND "holder_id" IS NULL '
    'AND "claimed_at" IS NULL AND "expired_at" IS NULL RETURNING "id"'
)


@dataclass(frozen=True, slots=True)
class MintSpec:
    """A set as the creator asks for it: `perk` names the Perk of a `perk` set; the window
    is `window_days` from redeeming, or `window_from`..`window_until`."""

    name: str
    kind: str
    count: int
    rule: Rule
    expires_at: datetime
    window_days: int | None = None
    window_from: datetime | None = None
    window_until: datetime | None = None
    perk: str | None = None
    early_minutes: int = 60


class Minting:
    def __init__(self, clock: Clock, bus: EventBus) -> None:
        self.clock = clock
        self.bus = bus

    async def mint(self, spec: MintSpec) -> SetFigures:
        """Make the set and give its tokens by its rule (a giveaway waits for its draw)."""
        now = self.clock.now()
        perk_id = await _check(spec, now)
        await spec.rule.check()
        async with self.bus.transaction() as changes:
            token_set = await PerkTokenSet.create(
                name=spec.name.strip(), kind=TokenPerk(spec.kind), perk_id=perk_id,
                early_minutes=spec.early_minutes if spec.kind == TokenPerk.EARLY_ACCESS else 0,
                count=spec.count, window_days=spec.window_days, window_from=spec.window_from,
                window_until=spec.window_until, expires_at=spec.expires_at, rule=spec.rule.kind,
                source=spec.rule.source, seed=secrets.token_hex(8), created_at=now,
            )  # fmt: skip
            await PerkToken.bulk_create(
                PerkToken(token_set_id=token_set.id, number=n, expires_at=spec.expires_at)
                for n in range(1, spec.count + 1)
            )
            if spec.rule.kind != GIVEAWAY:
                await self._give(token_set, await spec.rule.eligible(now), changes)
        if spec.rule.kind == GIVEAWAY and await _ended(token_set):
            return await self.draw(token_set.id)
        return await _figures(token_set.id)

    async def draw(self, set_id: int) -> SetFigures:
        """`dropcast token draw`: the giveaway's winners, once; its session must have ended."""
        token_set = await PerkTokenSet.get_or_none(id=set_id)
        if token_set is None:
            raise NotFound(f"there is no token set #{set_id}")
        if token_set.rule != GIVEAWAY:
            raise InvalidState(f"set #{set_id} is given by its rule, not drawn")
        if not await _ended(token_set):
            raise InvalidState("its session has not ended yet: it is drawn when it ends")
        async with self.bus.transaction() as changes:
            if await sql.rows(_CLAIM_DRAW, now=self.clock.now(), id=set_id):
                rule = Rule(token_set.rule, token_set.source)
                attendees = await rule.eligible(self.clock.now())
                await self._give(
                    token_set, draw(attendees, token_set.count, token_set.seed), changes
                )
        return await _figures(set_id)

    async def draw_at_end(self, event: LiveEnded) -> None:
        """The session ended: its giveaways are drawn."""
        for token_set in await PerkTokenSet.filter(rule=GIVEAWAY, drawn_at__isnull=True):
            if token_set.source.get("session") == event.session_id:
                await self.draw(token_set.id)

    async def _give(self, token_set: PerkTokenSet, fans: list[int], changes: Changes) -> None:
        now = self.clock.now()
        for number, fan_id in enumerate(list(dict.fromkeys(fans))[: token_set.count], start=1):
            given = await sql.rows(
                _GIVE, fan_id=fan_id, now=now, set_id=token_set.id, number=number
            )
            if given:
                changes.add(TokenGiven(now, int(given[0]["id"]), fan_id, gifted=False))


async def _check(spec: MintSpec, now: datetime) -> int | None:
    """Refuse a set that cannot work, before anything is made; the Perk's id, for a perk set."""
    if not spec.name.strip() or len(spec.name.strip()) > 80:
        raise InvalidInput("a set's name is 1 to 80 characters")
    if spec.kind not in set(TokenPerk):
        raise InvalidInput(f"{spec.kind!r} is not a perk: one of {', '.join(TokenPerk)}")
    if not 1 <= spec.count <= MOST_TOKENS:
        raise InvalidInput(f"a set has 1 to {MOST_TOKENS} tokens, not {spec.count}")
    if spec.expires_at <= now:
        raise InvalidInput("unredeemed tokens must expire in the future")
    if spec.kind == TokenPerk.EARLY_ACCESS and not 1 <= spec.early_minutes <= 7 * 24 * 60:
        raise InvalidInput("early access is 1 minute to 7 days (in minutes)")
    fixed = spec.window_from is not None or spec.window_until is not None
    if (spec.window_days is None) == (not fixed):
        raise InvalidInput("give the window either in days from redeeming or as from..until")
    if spec.window_days is not None and not 1 <= spec.window_days <= MOST_DAYS:
        raise InvalidInput(f"a window is 1 to {MOST_DAYS} days, not {spec.window_days}")
    if fixed:
        if spec.window_from is None or spec.window_until is None:
            raise InvalidInput("a fixed window needs both its start and its end")
        if not now < spec.window_until or spec.window_from >= spec.window_until:
            raise InvalidInput("a fixed window must end after it starts, in the future")
        if spec.window_until - spec.window_from > timedelta(days=MOST_DAYS):
            raise InvalidInput(f"a window is at most {MOST_DAYS} days")
        if spec.expires_at > spec.window_until:
            raise InvalidInput("tokens must expire by the end of their fixed window")
    if spec.kind != TokenPerk.PERK:
        if spec.perk:
            raise InvalidInput("only a `perk` set names a perk")
        return None
    perk = await Perk.get_or_none(name=(spec.perk or "").strip().lower())
    if perk is None:
        raise NotFound(f"there is no perk called {spec.perk!r}")
    return perk.id


async def _ended(token_set: PerkTokenSet) -> bool:
    session = await LiveSession.get_or_none(id=token_set.source.get("session"))
    return session is not None and session.status == LiveStatus.ENDED


async def _figures(set_id: int) -> SetFigures:
    [figures] = await set_figures(set_id)
    return figures
