"""Tracked `/l/` links to join a plan (core/short_links.py counts their taps like any other).

A Stripe Checkout page expires 24 hours after it is made, so a link that lasts (in a DM, a
campaign, a bio) cannot lead to one. A fan's own join link therefore names the plan and the
fan, and each tap makes a fresh Checkout page for that fan at that moment (or, if they are a
member already, leads to their portal). A public join link has no fan to make a page for: it
leads to the bot, where the fan is known (Telegram's deep link `?start=join_<plan>`), and
Discord's members are pointed at `/join`."""

from __future__ import annotations

from core.errors import AlreadyMember, InvalidInput, InvalidState, NotFound
from core.fans import FanRef, fan_id_of
from core.memberships.joining import Joining, plan_id_of
from core.memberships.plans import plan_view
from core.models import Fan
from core.privacy import is_forgotten
from core.short_links import ShortLinks

PURPOSE = "join"
# a fan's link's target: made at tap time, never a URL a browser could be sent to as it is
FANS_OWN = "dropcast-join:"
TELEGRAM_START = "join_"  # /start join_<plan id> (adapters/telegram/memberships.py)
# a campaign's link target "join:<plan>": each fan's DM carries their own join link
IN_CAMPAIGN = "join:"


async def campaign_target(url: str) -> str:
    """A campaign's "join:<plan name or number>", checked and kept as "join:<plan id>"."""
    plan = await plan_view(await plan_id_of(url.removeprefix(IN_CAMPAIGN).strip()))
    if not plan.on_sale:
        raise InvalidState(f"the plan {plan.name!r} is no longer offered")
    return f"{IN_CAMPAIGN}{plan.id}"


def personal(target: str, fan_id: int) -> str:
    """Where a campaign's link leads for one fan: their own join link's target for a
    "join:<plan id>" campaign (the tap makes their Checkout page), else the target as is."""
    if not target.startswith(IN_CAMPAIGN):
        return target
    return f"{FANS_OWN}{target.removeprefix(IN_CAMPAIGN)}:{fan_id}"


class JoinLinks:
    def __init__(self, links: ShortLinks, joining: Joining) -> None:
        self.links = links
        self.joining = joining

    async def for_fan(self, plan: str | int, fan: int | FanRef) -> str:
        """The fan's own join link (the same one each time it is asked for)."""
        plan_id = (await self.joining.plans.for_sale(await plan_id_of(plan))).id
        fan_id = fan if isinstance(fan, int) else await fan_id_of(fan)
        if await _gone(fan_id):
            raise NotFound(f"there is no fan #{fan_id} (or they asked to be forgotten)")
        target = f"{FANS_OWN}{plan_id}:{fan_id}"
        return await self.links.shorten(target, purpose=PURPOSE, ref=f"{plan_id}:{fan_id}")

    async def public(self, plan: str | int, telegram_bot: str) -> str:
        """A link for anyone, leading to the Telegram bot `telegram_bot` (its username) to
        join the plan there."""
        plan_id = (await self.joining.plans.for_sale(await plan_id_of(plan))).id
        bot = telegram_bot.strip().lstrip("@")
        if not bot.replace("_", "").isalnum():
            raise InvalidInput(f"{telegram_bot!r} is not a Telegram bot's username")
        target = f"https://t.me/{bot}?start={TELEGRAM_START}{plan_id}"
        return await self.links.shorten(target, purpose=PURPOSE, ref=f"{plan_id}:public")

    async def follow(self, code: str) -> str | None:
        """Count a tap of any `/l/` link and say where it leads now: a fan's own join link
        to a fresh Checkout page (or, for a member, their portal); None for a code we never
        made. A plan no longer sold, or a fan forgotten, is refused (DropcastError)."""
        target = await self.links.follow(code)
        if target is None or not target.startswith(FANS_OWN):
            return target
        plan_id, _, fan_id = target.removeprefix(FANS_OWN).partition(":")
        if await _gone(int(fan_id)):
            raise NotFound("this join link's fan is no longer known here: ask the bot for /join")
        try:
            return await self.joining.join_fan(int(plan_id), int(fan_id))
        except AlreadyMember as held:
            if held.portal_url is None:
                raise
            return held.portal_url


async def _gone(fan_id: int) -> bool:
    return not await Fan.exists(id=fan_id) or await is_forgotten(fan_id)
