"""Who holds which perk on the platforms themselves, in the core's terms (fans), where a
platform lets a bot ask (core/ports.py `Perks.holding`): what the sweep repairs against (a
role removed by hand) and the access report compares with entitlement. A platform that
cannot be asked, or fails to answer, leaves its perks out: they are simply not checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import structlog

from core.messages import PerkRef
from core.models import Perk, PlatformAccount
from core.ports import Perks

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Holders:
    """`listed`: the perks whose holders the platform told; `held`: (fan id, perk id) of
    known fans holding them; `strangers`: (perk id, platform user id) of holders Dropcast
    does not know as fans; `accounts`: each (fan id, platform) to the fan's platform user id;
    `unreadable`: (platform, why) of platforms that could have been asked but refused."""

    listed: frozenset[int] = frozenset()
    held: frozenset[tuple[int, int]] = frozenset()
    strangers: tuple[tuple[int, str], ...] = ()
    accounts: Mapping[tuple[int, str], str] = field(default_factory=dict)
    unreadable: tuple[tuple[str, str], ...] = ()

    def can_hold(self, fan_id: int, perk: Perk) -> bool:
        """The fan has an account where the perk lives, so could be seen holding it."""
        return (fan_id, str(perk.platform)) in self.accounts

    def lacks(self, fan_id: int, perk: Perk) -> bool:
        """The platform listed the perk's holders, and the fan, who could be among them, is
        not."""
        listed = perk.id in self.listed and self.can_hold(fan_id, perk)
        return listed and (fan_id, perk.id) not in self.held


def perk_ref(perk: Perk) -> PerkRef:
    return PerkRef(perk.id, perk.title, perk.platform, perk.place_ref, perk.ref)


async def read_holders(platforms: Mapping[str, Perks], perks: list[Perk]) -> Holders:
    """Ask each platform once for all of its perks' holders."""
    told: dict[int, frozenset[str]] = {}
    unreadable = []
    for name, platform in platforms.items():
        mine = [perk_ref(perk) for perk in perks if perk.platform == name]
        if not mine:
            continue
        try:
            told |= await platform.holding(mine)
        except Exception as error:  # said in the access report; no traceback every sweep
            why = str(error) or type(error).__name__
            log.warning("perk_holders_unreadable", platform=name, reason=why)
            unreadable.append((name, why))
    accounts = {
        (fan_id, str(platform)): user
        for fan_id, platform, user in await PlatformAccount.all().values_list(
            "fan_id", "platform", "platform_user_id"
        )
    }
    fan_of = {(platform, user): fan_id for (fan_id, platform), user in accounts.items()}
    platform_of = {perk.id: str(perk.platform) for perk in perks}
    held, strangers = set(), []
    for perk_id, users in told.items():
        for user in sorted(users):
            fan_id = fan_of.get((platform_of[perk_id], user))
            if fan_id is None:
                strangers.append((perk_id, user))
            else:
                held.add((fan_id, perk_id))
    return Holders(frozenset(told), frozenset(held), tuple(strangers), accounts, tuple(unreadable))
