"""The one place that builds Dropcast from settings; tests build the same thing with overrides.

Ports a test or the sandbox does not override get the adapter the settings call for; a port
whose setting is missing gets the one from `adapters.unconfigured`, which refuses naming the
setting. `adapters.memory` is used only when passed in (invariant 9, docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from adapters.routing import EveryAnnouncer, EveryDesk, FirstReachable
from adapters.stripe.billing import StripeMembershipBilling
from adapters.stripe.checkout import StripeApi, StripeCheckout
from adapters.stripe.refunds import StripeRefunds
from adapters.unconfigured import (
    UnconfiguredMembershipBilling,
    UnconfiguredPayLinks,
    UnconfiguredPlatform,
    UnconfiguredRefunds,
    UnconfiguredStarSubscriptions,
)
from bots.platforms import Connected
from config import Settings
from config.settings import quiet_window
from core.analytics.attribution import Weights
from core.app import Core, build_core
from core.campaigns.outbox import Limits
from core.clock import SystemClock
from core.kinds import FanTier, PaymentProvider, Platform
from core.ports import (
    Announcer,
    Clock,
    CreatorDesk,
    FanMessenger,
    MembershipBilling,
    PayLinks,
    Perks,
    Refunds,
)
from core.recognition import Rules

if TYPE_CHECKING:
    from telegram.ext import ExtBot

    from adapters.discord.client import DropcastDiscord


@dataclass(frozen=True, slots=True)
class App:
    settings: Settings
    core: Core
    announcer: Announcer
    messenger: FanMessenger
    desk: CreatorDesk
    pay_links: PayLinks
    refunds: Mapping[str, Refunds]
    telegram: ExtBot[Any] | None = None
    discord: DropcastDiscord | None = None
    closers: tuple[Callable[[], Awaitable[None]], ...] = ()

    async def close(self) -> None:
        """Finish what is being delivered in the background, then release the HTTP sessions
        the adapters opened."""
        await self.core.notices.settled()
        for close in self.closers:
            await close()


def bootstrap(
    settings: Settings,
    *,
    clock: Clock | None = None,
    announcer: Announcer | None = None,
    messenger: FanMessenger | None = None,
    desk: CreatorDesk | None = None,
    pay_links: PayLinks | None = None,
    refunds: Refunds | None = None,
    perks: Perks | None = None,
    membership_billing: MembershipBilling | None = None,
    role: str = "cli",
) -> App:
    clock = clock or SystemClock()
    connected: list[Connected] = []
    bot: ExtBot[Any] | None = None
    guilds: DropcastDiscord | None = None
    if settings.telegram_token:  # each platform's libraries load only when it is set
        from bots.telegram_wiring import connect_telegram

        bot, telegram = connect_telegram(settings, clock)
        connected.append(telegram)
    if settings.discord_token:
        from bots.discord_wiring import connect_discord

        guilds, discord = connect_discord(settings)
        connected.append(discord)
    announcer = announcer or (
        EveryAnnouncer([c.announcer for c in connected]) if connected else UnconfiguredPlatform()
    )
    messengers: dict[str, FanMessenger] = {c.platform: c.messenger for c in connected}
    if messenger is not None:  # a test's, or the sandbox's, stands in for every platform's
        messengers = {}
    else:
        reachable = list(messengers.values())
        messenger = FirstReachable(reachable) if reachable else UnconfiguredPlatform()
    messengers = {**dict.fromkeys(Platform, messenger), **messengers}
    desk = desk or (EveryDesk([c.desk for c in connected]) if connected else UnconfiguredPlatform())
    stripe_api = _stripe_api(settings)
    if pay_links is None:
        pay_links = _pay_links(settings, clock, stripe_api)
    refunds_by_provider = _refunds(stripe_api, refunds)
    for platform in connected:
        refunds_by_provider.update(platform.refunds)
    core = build_core(
        clock=clock,
        announcer=announcer,
        messenger=messenger,
        creator=desk,
        pay_links=pay_links,
        membership_billing=membership_billing or _membership_billing(settings, clock, stripe_api),
        star_subscriptions=next(
            (c.star_subscriptions for c in connected if c.star_subscriptions),
            UnconfiguredStarSubscriptions(),
        ),
        refunds=refunds_by_provider,
        perks=_perks(connected, perks),
        links_base_url=str(settings.public_base_url or f"http://localhost:{settings.port}"),
        rules=rules(settings),
        shout_outs=settings.shout_outs,
        messengers=messengers,
        limits=limits(settings),
        near_tier_points=settings.near_tier_points,
        membership_grace=timedelta(days=settings.membership_grace_days),
        membership_refunds_end_access=settings.membership_refunds_end_access,
        role=role,
        dashboard_password=(
            settings.dashboard_password.get_secret_value() if settings.dashboard_password else None
        ),
    )
    if guilds:
        guilds.core = core
    closers = ((stripe_api.close,) if stripe_api else ()) + tuple(c.close for c in connected)
    return App(
        settings,
        core,
        announcer,
        messenger,
        desk,
        pay_links,
        refunds_by_provider,
        bot,
        guilds,
        closers,
    )


def weights(settings: Settings) -> Weights:
    """Blended attribution's weights, as the creator set them."""
    return Weights(
        live=settings.attribution_live,
        per_minute=settings.attribution_per_minute,
        minutes_cap=settings.attribution_minutes_cap,
        per_code=settings.attribution_per_code,
        dm=settings.attribution_dm,
        organic=settings.attribution_organic,
        days=settings.attribution_days,
    )


def rules(settings: Settings) -> Rules:
    return Rules(
        first_buyers=settings.points_first_buyers,
        first_buyer_points=settings.points_first_buyer,
        quick_minutes=settings.points_quick_minutes,
        quick_points=settings.points_quick_buyer,
        points_per_minute=settings.points_per_minute,
        minutes_cap=settings.points_minutes_cap,
        code_points=settings.points_live_code,
        thresholds={
            FanTier.SUPPORTER: settings.tier_supporter,
            FanTier.INSIDER: settings.tier_insider,
            FanTier.INNER_CIRCLE: settings.tier_inner_circle,
        },
    )


def limits(settings: Settings) -> Limits:
    quiet_from, quiet_until = quiet_window(settings.quiet_hours)
    return Limits(settings.dm_weekly_cap, quiet_from, quiet_until, settings.creator_timezone)


def _stripe_api(settings: Settings) -> StripeApi | None:
    if settings.stripe_secret_key is None:
        return None
    api_base = str(settings.stripe_api_base) if settings.stripe_api_base else None
    return StripeApi(settings.stripe_secret_key.get_secret_value(), api_base)


def _refunds(stripe_api: StripeApi | None, override: Refunds | None) -> dict[str, Refunds]:
    """Each provider's refunds; a test's or the sandbox's override stands in for Stripe's and
    the sandbox's. Without a key, Stripe's refunds wait as `refund_pending` for one."""
    if override is not None:
        return dict.fromkeys((PaymentProvider.STRIPE, PaymentProvider.SANDBOX), override)
    if stripe_api is None:
        return {PaymentProvider.STRIPE: UnconfiguredRefunds("STRIPE_SECRET_KEY")}
    return {PaymentProvider.STRIPE: StripeRefunds(stripe_api)}


def _perks(connected: list[Connected], override: Perks | None) -> dict[str, Perks]:
    """Each platform's perks; a test's override stands in for every platform's."""
    if override is not None:
        return dict.fromkeys(Platform, override)
    return {platform.platform: platform.perks for platform in connected}


def _pay_links(settings: Settings, clock: Clock, api: StripeApi | None) -> PayLinks:
    """Stripe Checkout when a Stripe key and the address Checkout returns to are set."""
    if api is None:
        return UnconfiguredPayLinks("STRIPE_SECRET_KEY")
    if settings.public_base_url is None:
        return UnconfiguredPayLinks("PUBLIC_BASE_URL")
    return StripeCheckout(api, clock, str(settings.public_base_url), settings.shipping_countries)


def _membership_billing(
    settings: Settings, clock: Clock, api: StripeApi | None
) -> MembershipBilling:
    """Stripe Billing when a Stripe key and the address Checkout returns to are set."""
    if api is None:
        return UnconfiguredMembershipBilling("STRIPE_SECRET_KEY")
    if settings.public_base_url is None:
        return UnconfiguredMembershipBilling("PUBLIC_BASE_URL")
    return StripeMembershipBilling(api, clock, str(settings.public_base_url))
