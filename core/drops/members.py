"""What a fan's membership gives them in every drop, decided here from the database alone:
their member price, member-only tiers and drops, and early access.

A fan is a member while one of their memberships grants access (`access_until` after now),
or while the window of a member-price or early-access perk token they redeemed runs
(core/perk_tokens); their early access is the most minutes any of those gives. Nothing a fan
sends decides it: a Buy tap names a tier, and the price comes from here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from core import sql
from core.errors import InvalidState
from core.money import Money

if TYPE_CHECKING:
    from core.drops.stock import TierState

# a member's early access in minutes: NULL when the fan is no member at `now`
MEMBER_MINUTES = (
    'SELECT MAX("held"."minutes") AS minutes FROM ('
    'SELECT p."early_access_minutes" AS "minutes" FROM "membership" m '
    'JOIN "membership_plan" p ON p."id" = m."plan_id" '
    'WHERE m."fan_id" = {fan_id} AND m."access_until" > {now} '
    'UNION ALL SELECT s."early_minutes" FROM "perk_token" k '
    'JOIN "perk_token_set" s ON s."id" = k."token_set_id" '
    "WHERE k.\"holder_id\" = {fan_id} AND s.\"kind\" IN ('early_access', 'member_price') "
    'AND k."perk_from" <= {now} AND k."perk_until" > {now}) AS "held"'
)
# the most early access a plan on sale gives, for public posts
PLANS_EARLY_MINUTES = (
    'SELECT MAX("early_access_minutes") AS minutes FROM "membership_plan" WHERE "live" = 1'
)
JOIN_HINT = "become a member with /join"


def minutes_from(value: object) -> int | None:
    """A member's early access minutes as read (MEMBER_MINUTES); None for a non-member."""
    return None if value is None else int(str(value))


async def member_minutes(fan_id: int, now: datetime) -> int | None:
    """The fan's members' early access in minutes, 0 for none; None when they are no member."""
    found = await sql.rows(MEMBER_MINUTES, fan_id=fan_id, now=now)
    return minutes_from(found[0]["minutes"]) if found else None


async def plans_early_minutes() -> int:
    """The most minutes early any plan on sale lets its members buy (0: none)."""
    found = await sql.rows(PLANS_EARLY_MINUTES)
    return (minutes_from(found[0]["minutes"]) or 0) if found else 0


def check_member(tier: TierState, member: bool) -> None:
    """A member-only tier or drop refuses a non-member, saying how to become one."""
    if member:
        return
    if tier.drop_members_only:
        raise InvalidState(f"{tier.title} is for members only: {JOIN_HINT}")
    if tier.members_only:
        raise InvalidState(f"{tier.name} is for members only: {JOIN_HINT}")


def price_for(price: Money, member_price: Money | None, member: bool) -> Money:
    """What a fan pays for a unit of a tier: a member pays its member price, if it has one."""
    return member_price if member and member_price is not None else price


def in_member_window(opens_at: datetime, minutes: int | None, now: datetime) -> bool:
    """Is a member with `minutes` of early access inside their window before `opens_at`?"""
    return bool(minutes) and now >= opens_at - timedelta(minutes=minutes or 0)
