"""The core's services wired to one set of ports; `bots.bootstrap` builds it from settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from core.account_linking import AccountLinking
from core.bus import EventBus
from core.campaigns.outbox import Limits, Outbox
from core.campaigns.planner import Campaigns
from core.consent import Consent
from core.dashboard_access import DashboardAccess
from core.drop_forms import DropForms
from core.drops.holds import Holds
from core.drops.lifecycle import DropLifecycle
from core.drops.payments import Payments
from core.inbox import Inbox
from core.kinds import Platform
from core.live.attendance import LiveAttendance
from core.live.lifecycle import LiveLifecycle
from core.live.reminders import LiveReminders
from core.memberships.access_report import AccessReports
from core.memberships.claiming import Claiming
from core.memberships.importing import Importing
from core.memberships.join_links import JoinLinks
from core.memberships.joining import Joining
from core.memberships.members import Memberships
from core.memberships.news import MemberNews
from core.memberships.plans import Plans
from core.memberships.reversals import PaymentReversals
from core.memberships.stars import StarsMemberships
from core.notices import Notices
from core.notifications import Notifier
from core.offer_taps import OfferTaps, TapBatch
from core.offers import Offers
from core.orders import Orders
from core.perk_tokens.service import PerkTokens, perk_tokens
from core.perks import PerkService
from core.popups.no_shows import NoShows
from core.popups.passes import PassCodes
from core.popups.places import PopUps
from core.popups.scanning import Scanning
from core.popups.staff import StaffLinks
from core.ports import (
    Announcer,
    Clock,
    CreatorDesk,
    FanMessenger,
    MembershipBilling,
    PayLinks,
    Perks,
    Refunds,
    StarSubscriptions,
)
from core.recognition import Recognition, Rules
from core.short_links import ShortLinks
from core.signing import Keyring
from core.subscriptions import (
    subscribe_access,
    subscribe_all,
    subscribe_members,
    subscribe_tokens,
)
from core.workers import worker_id


@dataclass(frozen=True, slots=True)
class Core:
    clock: Clock
    bus: EventBus
    notices: Notices
    drops: DropLifecycle
    drop_forms: DropForms
    holds: Holds
    payments: Payments
    inbox: Inbox
    short_links: ShortLinks
    keyring: Keyring
    offers: Offers
    offer_taps: OfferTaps
    pass_codes: PassCodes
    pop_ups: PopUps
    no_shows: NoShows
    staff_links: StaffLinks
    scanning: Scanning
    orders: Orders
    perks: PerkService
    tokens: PerkTokens
    recognition: Recognition
    account_linking: AccountLinking
    live: LiveLifecycle
    live_reminders: LiveReminders
    attendance: LiveAttendance
    consent: Consent
    campaigns: Campaigns
    outbox: Outbox
    dashboard: DashboardAccess
    plans: Plans
    memberships: Memberships
    joining: Joining
    importing: Importing
    claiming: Claiming
    stars_memberships: StarsMemberships
    access: AccessReports
    join_links: JoinLinks
    payment_reversals: PaymentReversals

    async def tick(self) -> None:
        """Everything timed, derived from the database: opening, closing, lapsing holds."""
        await self.drops.open_due()
        await self.drops.close_due()
        await self.holds.expire_due()
        await self.payments.retry_refunds()
        await self.live_reminders.remind_due()
        await self.live_reminders.nudge_late()
        await self.campaigns.queue_due()
        await self.stars_memberships.end_lapsed()
        await self.tokens.expiring.expire_due()
        await self.tokens.expiring.move_windows()
        await self.no_shows.remind_due()


def build_core(
    *,
    clock: Clock,
    announcer: Announcer,
    messenger: FanMessenger,
    messengers: Mapping[str, FanMessenger] | None = None,
    creator: CreatorDesk,
    pay_links: PayLinks,
    membership_billing: MembershipBilling,
    star_subscriptions: StarSubscriptions,
    refunds: Mapping[str, Refunds],
    perks: Mapping[str, Perks],
    links_base_url: str,
    rules: Rules | None = None,
    shout_outs: bool = False,
    limits: Limits | None = None,
    near_tier_points: int = 20,
    membership_grace: timedelta = timedelta(days=3),
    membership_refunds_end_access: bool = True,
    dashboard_password: str | None = None,
    role: str = "cli",
) -> Core:
    """`refunds` names each payment provider's refunds (see `PaymentProvider`), `perks`
    and `messengers` each platform's perks and DMs (see `Platform`; campaign DMs go out on
    one platform at a time, at its pace). Without `messengers`, `messenger` serves all.
    `role` names the process in the workers it claims notices as (core/workers.py)."""
    rules = rules or Rules()
    notices = Notices(clock, worker_id(role))
    bus = EventBus(notices)
    links = ShortLinks(clock, links_base_url)
    keyring = Keyring(clock)
    offers = Offers(clock, keyring, links_base_url)
    pass_codes = PassCodes(keyring, links_base_url)
    consent = Consent(clock)
    drops = DropLifecycle(clock, bus)
    holds = Holds(clock, bus, pay_links, links, consent)
    payments = Payments(clock, bus, refunds)
    perk_service = PerkService(clock, perks, messenger)
    recognition = Recognition(clock, bus, rules)
    attendance = LiveAttendance(clock, recognition, consent)
    subscribe_all(
        bus,
        recognition=recognition,
        perks=perk_service,
        consent=consent,
        notifier=Notifier(announcer, messenger, creator, pay_links, holds, pass_codes),
        shout_outs=shout_outs,
    )
    plans, memberships = Plans(clock), Memberships(clock, bus, membership_grace)
    joining = Joining(plans, memberships, membership_billing)
    news = MemberNews(messenger, membership_billing)
    reversals = PaymentReversals(
        clock, bus, membership_billing, joining, ends_access=membership_refunds_end_access
    )
    subscribe_members(bus, refusals=joining.refusals, reversals=reversals, news=news)
    access = AccessReports(clock, perk_service, perks, bus, creator)
    subscribe_access(bus, access)
    stars_memberships = StarsMemberships(clock, plans, memberships, star_subscriptions)
    join_links = JoinLinks(links, joining)
    access.add_source(stars_memberships.mismatches)
    tokens = perk_tokens(clock, bus, keyring, perk_service, messenger, announcer)
    subscribe_tokens(bus, tokens.minting, tokens.news)
    orders = Orders(clock, bus, payments)
    return Core(
        clock=clock,
        bus=bus,
        notices=notices,
        drops=drops,
        drop_forms=DropForms(clock, drops),
        holds=holds,
        payments=payments,
        inbox=Inbox(clock, notices.worker, notices),
        short_links=links,
        keyring=keyring,
        offers=offers,
        pass_codes=pass_codes,
        staff_links=StaffLinks(keyring, clock, links_base_url),
        scanning=Scanning(clock, pass_codes),
        orders=orders,
        pop_ups=PopUps(clock),
        no_shows=NoShows(clock, bus, orders, pass_codes),
        perks=perk_service,
        tokens=tokens,
        recognition=recognition,
        account_linking=AccountLinking(clock, recognition, perk_service),
        live=LiveLifecycle(clock, bus, attendance),
        live_reminders=LiveReminders(clock, bus),
        attendance=attendance,
        consent=consent,
        campaigns=Campaigns(clock, rules, near_tier_points),
        outbox=Outbox(
            clock,
            messengers or dict.fromkeys(Platform, messenger),
            links,
            rules,
            limits or Limits(),
            notices.worker,
        ),
        dashboard=DashboardAccess(clock, links_base_url, dashboard_password),
        plans=plans,
        memberships=memberships,
        joining=joining,
        join_links=join_links,
        offer_taps=OfferTaps(offers, TapBatch(clock), join_links.follow),
        payment_reversals=reversals,
        access=access,
        importing=Importing(clock, membership_billing),
        claiming=Claiming(clock, memberships, membership_billing, consent),
        stars_memberships=stars_memberships,
    )
