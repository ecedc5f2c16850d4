"""Finding the fan behind a platform account, creating them on first contact, and what a fan
can see about themselves."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from core import sql
from core.kinds import OrderStatus, Platform, TierKind
from core.models import Fan, LedgerEntry, Order, PlatformAccount
from core.money import Money
from core.perk_tokens.holding import FanToken, tokens_of
from core.popups.passes import PassCodes
from core.popups.pickups import PassState, pass_states
from core.signing import Keyring

# once per message a fan is sent: hand-written, as the ORM's query cost more than the send
_ACCOUNT = (
    'SELECT "id", "platform_user_id", "dm_reachable" FROM "platform_account" '
    'WHERE "fan_id" = {fan_id} AND "platform" = {platform}'
)
_UNREACHABLE = 'UPDATE "platform_account" SET "dm_reachable" = {reachable} WHERE "id" = {id}'


@dataclass(frozen=True, slots=True)
class Account:
    """A fan's account on one platform, as a message to them needs it."""

    id: int
    user_ref: str  # the platform's id for the user
    reachable: bool  # False once they blocked the bot or closed their DMs


async def account_on(fan_id: int, platform: Platform) -> Account | None:
    rows = await sql.rows(_ACCOUNT, fan_id=fan_id, platform=platform.value)
    if not rows:
        return None
    row = rows[0]
    return Account(int(row["id"]), str(row["platform_user_id"]), bool(row["dm_reachable"]))


async def mark_unreachable(account: Account) -> None:
    """Not written to again until they come back (`/start`, a command)."""
    await sql.rows(_UNREACHABLE, reachable=False, id=account.id)


@dataclass(frozen=True, slots=True)
class FanOrder:
    """`goods` is what a paid digital order delivers, shown again in case a DM was lost;
    `pickup` the pass of an order picked up at a pop-up."""

    id: int
    title: str
    tier_name: str
    amount: Money
    status: str
    goods: str | None
    pickup: PassState | None = None


@dataclass(frozen=True, slots=True)
class FanProfile:
    tier: str
    points: int
    orders: tuple[FanOrder, ...]
    tokens: tuple[FanToken, ...] = ()  # perk tokens, with their codes where a keyring was given


async def profile(
    fan_id: int, keyring: Keyring | None = None, *, pass_codes: PassCodes | None = None
) -> FanProfile:
    fan = await Fan.get(id=fan_id)
    summed = LedgerEntry.filter(fan_id=fan_id).annotate(total=Sum("amount")).first()
    points = (await summed.values("total") or {}).get("total") or 0
    orders = await Order.filter(fan_id=fan_id).select_related("tier__drop").order_by("id")
    passes = await pass_states([order.id for order in orders], pass_codes)
    return FanProfile(
        fan.tier.value,
        int(points),
        tuple(
            FanOrder(
                order.id,
                order.tier.drop.title,
                order.tier.name,
                Money(order.amount_minor, order.currency),
                order.status.value,
                order.tier.content or None
                if order.status == OrderStatus.PAID and order.tier.kind != TierKind.PHYSICAL
                else None,
                passes.get(order.id),
            )
            for order in orders
        ),
        await tokens_of(fan_id, await keyring.signer() if keyring else None),
    )


@dataclass(frozen=True, slots=True)
class FanRef:
    """The platform user behind an action, as plain values: each fan action's entry point
    finds (or, on first contact, makes) their fan itself, so a handler makes one call."""

    platform: Platform
    user_ref: str  # the platform's id for the user
    display_name: str


async def fan_for(platform: Platform | str, user_ref: str, display_name: str) -> int:
    """Our fan id for a platform user; two first contacts at once still make one fan."""
    platform = Platform(platform)
    account = await PlatformAccount.get_or_none(platform=platform, platform_user_id=user_ref)
    if account is not None:
        return account.fan_id
    try:
        async with in_transaction():
            fan = await Fan.create(display_name=display_name[:100] or "fan")
            await PlatformAccount.create(fan=fan, platform=platform, platform_user_id=user_ref)
            return fan.id
    except IntegrityError:
        account = await PlatformAccount.get(platform=platform, platform_user_id=user_ref)
        return account.fan_id


async def fan_id_of(fan: FanRef) -> int:
    """The fan behind the platform user: what each fan action's entry point asks first."""
    return await fan_for(fan.platform, fan.user_ref, fan.display_name)


async def profile_of(
    fan: FanRef, keyring: Keyring | None = None, *, pass_codes: PassCodes | None = None
) -> FanProfile:
    """`/me`: the platform user's tier, points, orders and perk tokens (with `keyring`, the
    held tokens' codes)."""
    return await profile(await fan_id_of(fan), keyring, pass_codes=pass_codes)


async def choose_shout_outs(fan: FanRef, named: bool) -> None:
    """The platform user's own choice whether the public congratulations on reaching a tier
    name them."""
    await Fan.filter(id=await fan_id_of(fan)).update(named_in_shout_outs=named)
