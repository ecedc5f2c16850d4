"""Finding the fan behind a platform account, creating them on first contact."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.models import Fan, Platform, PlatformAccount


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
