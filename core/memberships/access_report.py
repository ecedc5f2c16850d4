"""The access report: where who holds what differs from who pays for it, and whether the
payment provider has gone quiet. Memberships break silently when a webhook endpoint lacks
the subscription events or a moderator hands out a role by hand, so the report looks from
the platforms' side too.

* Roles held on the platform by fans nothing entitles (and whom Dropcast never granted
  them), or by people Dropcast does not know, and entitled fans who lack them, read from
  the platform where it lets a bot list them (Discord, with the Server Members Intent); a
  Telegram bot cannot list a chat's members, so perk chats are checked against the access
  log (`PerkChange`) instead.
* A Stripe membership whose current period ended more than a day ago with no report since
  means renewals are not arriving.
* Whatever other checks add (`add_source`, or `report(extra=…)`), e.g. Telegram Stars
  subscriptions Telegram still charges that Dropcast thinks ended.

Delivered by `dropcast plan report`, the dashboard's Access page, and once a day to the
creator's admins (`daily`: the day is claimed by an insert into `access_report_day`, and the
note is a notice, so it is sent once whichever clock runs it, and retried)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core import sql
from core.bus import EventBus
from core.events import AccessReportDue
from core.kinds import MemberState, PerkGrantStatus, SubscriptionProvider
from core.messages import AccessReportNote
from core.models import Membership, MembershipPlan, Perk, PerkChange, PerkGrant
from core.perk_holders import Holders, read_holders
from core.perks import PerkService
from core.ports import Clock, CreatorDesk, Perks

QUIET_AFTER = timedelta(days=1)  # a renewal is reported within hours of the period's end
# the daily DM lists this many, so it fits one Discord message (2000 characters); the CLI
# and the dashboard show all
NOTE_LINES = 5
RENEWING = (MemberState.TRIALING, MemberState.ACTIVE, MemberState.PAST_DUE,
            MemberState.CANCELLED_AT_PERIOD_END)  # fmt: skip

_CLAIM_DAY = (
    'INSERT INTO "access_report_day" ("day", "sent_at") VALUES ({day}, {now}) '
    'ON CONFLICT ("day") DO NOTHING RETURNING "day"'
)


class MismatchKind(StrEnum):
    UNPAID_ACCESS = "unpaid_access"  # holds a perk nothing entitles them to
    MISSING_ACCESS = "missing_access"  # entitled, and lacks it
    WEBHOOKS_QUIET = "webhooks_quiet"  # a provider stopped reporting renewals
    UNCHECKED = "unchecked"  # a platform that could be asked refused


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One thing the creator should look at. `kind` is a `MismatchKind` or another check's
    own word; `fan_id` the fan concerned, if one is."""

    kind: str
    fan_id: int | None
    detail: str


@dataclass(frozen=True, slots=True)
class AccessReport:
    at: datetime
    mismatches: tuple[Mismatch, ...]
    notes: tuple[str, ...]  # how each platform was checked

    @property
    def clean(self) -> bool:
        return not self.mismatches


Source = Callable[[], Awaitable[Sequence[Mismatch]]]


class AccessReports:
    def __init__(
        self,
        clock: Clock,
        perks: PerkService,
        platforms: Mapping[str, Perks],
        bus: EventBus,
        desk: CreatorDesk,
    ) -> None:
        self.clock = clock
        self.perks = perks
        self.platforms = platforms
        self.bus = bus
        self.desk = desk
        self.sources: list[Source] = []

    def add_source(self, source: Source) -> None:
        """Another check whose mismatches every report carries (Stars reconciliation)."""
        self.sources.append(source)

    async def report(self, extra: Sequence[Mismatch] = ()) -> AccessReport:
        now = self.clock.now()
        perks, notes = await self._perks()
        found = [*perks, *await _quiet_webhooks(now), *extra]
        for source in self.sources:
            found.extend(await source())
        return AccessReport(now, tuple(found), notes)

    async def daily(self) -> bool:
        """The clock's daily note: claims today and owes the admins a DM, only when the
        report has something to say; True if it did."""
        if (await self.report()).clean:
            return False
        now = self.clock.now()
        day = now.date().isoformat()
        async with self.bus.transaction() as changes:
            if await sql.rows(_CLAIM_DAY, day=day, now=now):
                changes.add(AccessReportDue(now, day=day))
                return True
        return False

    async def tell(self, event: AccessReportDue) -> None:
        """The notice's delivery: the report as it stands now, if it still says anything."""
        report = await self.report()
        if report.clean:
            return
        lines = tuple(m.detail for m in report.mismatches[:NOTE_LINES])
        await self.desk.tell(AccessReportNote(event.day, lines, len(report.mismatches)))

    async def _perks(self) -> tuple[list[Mismatch], tuple[str, ...]]:
        perks = await Perk.all().order_by("id")
        holders = await read_holders(self.platforms, perks)
        entitled = await self.perks.entitled()
        granted = set(
            await PerkGrant.filter(status=PerkGrantStatus.GRANTED).values_list("fan_id", "perk_id")
        )
        found: list[Mismatch] = []
        for perk in perks:
            fans = {fan for fan, perk_id in entitled if perk_id == perk.id}
            if perk.id in holders.listed:
                found += _against_platform(perk, fans, holders, granted)
            else:
                found += _against_log(perk, fans, holders, await _last_logged(perk.id))
        if await MembershipPlan.exists():  # without plans, no need to let Dropcast list members
            found += [_unchecked(platform, why) for platform, why in holders.unreadable]
        notes = tuple(
            _NOTES.get(name, f"{name}: checked against the access log")
            for name in sorted({str(perk.platform) for perk in perks})
        )
        return found, notes


def _against_platform(
    perk: Perk, fans: set[int], holders: Holders, granted: set[tuple[int, int]]
) -> list[Mismatch]:
    """Holders the platform listed whom nothing entitles and Dropcast never granted it (a
    role handed out by hand), and entitled fans it does not list."""
    where = f"{perk.title} ({perk.platform})"
    on_platform = {fan for fan, perk_id in holders.held if perk_id == perk.id}
    ours = {fan for fan, perk_id in granted if perk_id == perk.id}
    found = [
        _unpaid(fan, f"fan #{fan} holds {where} and nothing pays for it")
        for fan in sorted(on_platform - fans - ours)
    ]
    found += [
        _unpaid(None, f"{perk.platform} user {user} holds {where}, unknown to Dropcast")
        for perk_id, user in holders.strangers
        if perk_id == perk.id
    ]
    found += [
        _missing(fan, f"fan #{fan} is entitled to {where} and lacks it")
        for fan in sorted(fans)
        if holders.lacks(fan, perk)
    ]
    return found


def _against_log(
    perk: Perk, fans: set[int], holders: Holders, logged: dict[int, bool]
) -> list[Mismatch]:
    """Where the platform cannot be asked: what the access log says was last done."""
    where, said = f"{perk.title} ({perk.platform})", " (by the access log)"
    found = [
        _unpaid(fan, f"fan #{fan} holds {where} and nothing pays{said}")
        for fan in sorted(fan for fan, granted in logged.items() if granted and fan not in fans)
    ]
    found += [
        _missing(fan, f"fan #{fan} is entitled to {where}, lacks it{said}")
        for fan in sorted(fans)
        if not logged.get(fan) and holders.can_hold(fan, perk)
    ]
    return found


_ADVICE = {
    "discord": " (switch on the Server Members Intent: Developer Portal → Bot → Privileged"
    " Gateway Intents)"
}
_NOTES = {
    "discord": "Discord roles: checked against the server's member list",
    "telegram": "Telegram perk chats: checked against the access log (a Telegram bot cannot"
    " list a chat's members)",
}


def _unchecked(platform: str, why: str) -> Mismatch:
    detail = f"{platform} did not list who holds its perks: {why}{_ADVICE.get(platform, '')}"
    return Mismatch(MismatchKind.UNCHECKED, None, detail)


def _unpaid(fan_id: int | None, detail: str) -> Mismatch:
    return Mismatch(MismatchKind.UNPAID_ACCESS, fan_id, detail)


def _missing(fan_id: int, detail: str) -> Mismatch:
    return Mismatch(MismatchKind.MISSING_ACCESS, fan_id, detail)


async def _last_logged(perk_id: int) -> dict[int, bool]:
    """Each fan's last logged change of the perk: True if it was a grant."""
    last: dict[int, bool] = {}
    for fan_id, change in (
        await PerkChange.filter(perk_id=perk_id).order_by("id").values_list("fan_id", "change")
    ):
        last[fan_id] = change == PerkGrantStatus.GRANTED
    return last


async def _quiet_webhooks(now: datetime) -> list[Mismatch]:
    """Stripe memberships still renewing by our books whose period ended a day ago, with no
    report of the subscription since."""
    found = []
    for membership in await Membership.filter(
        provider=SubscriptionProvider.STRIPE,
        state__in=list(RENEWING),
        current_period_end__lt=now - QUIET_AFTER,
    ).order_by("id"):
        end = membership.current_period_end
        if end is None or membership.snapshot_at >= end:
            continue
        found.append(
            Mismatch(
                MismatchKind.WEBHOOKS_QUIET,
                membership.fan_id,
                f"membership #{membership.id}: its period ended {end:%Y-%m-%d %H:%M} UTC and "
                "Stripe has said nothing since, so renewals are not arriving; most likely the "
                "Stripe webhook endpoint lacks the subscription events "
                "(customer.subscription.updated, invoice.paid: README, Memberships)",
            )
        )
    return found
