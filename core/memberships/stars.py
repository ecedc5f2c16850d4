"""Memberships paid in Telegram Stars: Telegram renews the subscription by itself every 30
days, and reports each charge (the first and every renewal) as a payment.

Each charge is recorded as a snapshot of the subscription (core/memberships/members.py
`Memberships.record`), in Stripe's words: `active` for the 30 days it paid for, the same
snapshot whether the charge came as an update or from Telegram's transaction list, so a
repeated update or a reconcile after it changes nothing. The first charge's id is the
subscription's reference: cancelling it (`editUserStarSubscription`) needs it. A membership
no charge renews ends by time (`end_lapsed`), after the grace period. A charge for a fan who
asked to be forgotten is given back and the subscription cancelled: nothing of it is stored.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog

from core.errors import DropcastError, InvalidInput, InvalidState, NotFound, ProviderUnreachable
from core.fans import FanRef, account_on, fan_id_of
from core.kinds import MemberState, Platform, SubscriptionProvider
from core.memberships.access_report import Mismatch, MismatchKind
from core.memberships.members import Memberships, MembershipView, membership_view
from core.memberships.plans import Plans, PlanView, list_plans
from core.memberships.star_charges import (
    CHARGED_WHILE_ENDED,
    PERIOD,
    StarsCharge,
    StarsFinding,
    StarsInvoice,
    StarsOffer,
    StarsPaid,
    StarsReconciled,
    plan_and_fan,
    plan_payload,
)
from core.memberships.states import ProviderStatus, Snapshot
from core.models import Membership, PlatformAccount
from core.models.memberships import LIVE
from core.ports import Clock, StarSubscriptions
from core.privacy import is_forgotten

log = structlog.get_logger(__name__)
STARS = SubscriptionProvider.TELEGRAM_STARS
# how far back a reconcile reads: every charge whose period may still run
WINDOW = PERIOD
# a renewal's period starts where the one before ended; a little slack for Telegram's timing
CONTIGUOUS = timedelta(days=1)
_LATER = timedelta(microseconds=1)


class StarsMemberships:
    def __init__(
        self, clock: Clock, plans: Plans, memberships: Memberships, telegram: StarSubscriptions
    ) -> None:
        self.clock = clock
        self.plans = plans
        self.memberships = memberships
        self.telegram = telegram

    async def offers(self, fan: FanRef, plan_id: int | None = None) -> list[StarsOffer]:
        """`/join`: the plans on sale (or the one asked for), each with the fan's own Stars
        invoice link when it has a Stars price and they are not a member of it yet."""
        fan_id = await fan_id_of(fan)
        plans = (
            [await self.plans.for_sale(plan_id)] if plan_id else await list_plans(archived=False)
        )
        held = {row.plan_id for row in await Membership.filter(fan_id=fan_id, live=LIVE)}
        offers = []
        for plan in plans:
            member = plan.id in held
            url = None
            if plan.stars is not None and not member:
                url = await self.telegram.invoice_link(_invoice(plan, fan_id))
            offers.append(
                StarsOffer(
                    plan.id, plan.name, plan.stars, url, member, plan.perks,
                    plan.early_access_minutes,
                )
            )  # fmt: skip
        return offers

    async def check_payable(self, payload: str, fan: FanRef, stars: int) -> None:
        """Pre-checkout: the invoice is this fan's, for a plan still on sale at this price,
        and they are not a member of it already; otherwise why not."""
        named = plan_and_fan(payload)
        if named is None:
            raise InvalidInput("this invoice is not one of ours")
        plan = await self.plans.for_sale(named[0])
        if await fan_id_of(fan) != named[1]:
            raise InvalidState("this invoice was made for someone else: /join for your own")
        if plan.stars != stars:
            raise InvalidState(f"the price of {plan.name!r} has changed: /join for the new one")
        if await Membership.exists(fan_id=named[1], plan_id=plan.id, live=LIVE):
            raise InvalidState(f"you are already a member of {plan.name!r}: /membership shows it")

    async def paid(self, charge: StarsCharge) -> StarsPaid:
        """A charge Telegram took (the first or a renewal): the membership it pays for, as
        of its period, or none when it was given back (a forgotten fan's, a second one)."""
        return StarsPaid(*await self._settle(charge))

    async def set_renewing(self, membership_id: int, fan: FanRef, renewing: bool) -> MembershipView:
        """The fan stops (or resumes) their Stars membership's renewals at Telegram; access
        stays to the end of the period paid for."""
        fan_id = await fan_id_of(fan)
        row = await Membership.get_or_none(id=membership_id, fan_id=fan_id, provider=STARS)
        if row is None:
            raise NotFound("that is not one of your Stars memberships")
        end = row.current_period_end
        if row.state == MemberState.ENDED or end is None or end <= self.clock.now():
            raise InvalidState("this membership has ended: /join to start a new one")
        if row.cancel_at_period_end != renewing:
            return await membership_view(row.id)  # as asked already
        account = await account_on(fan_id, Platform.TELEGRAM)
        if account is None:
            raise NotFound("this Telegram account pays no membership")
        await self.telegram.edit(account.user_ref, row.subscription_ref, not renewing)
        as_of = max(self.clock.now(), row.snapshot_at + _LATER)
        return await self._record(row, _active(end, as_of, row.started_at, not renewing))

    async def end_lapsed(self) -> int:
        """Stars memberships whose last paid period (and grace) is over with no renewal have
        ended; how many ended now."""
        now = self.clock.now()
        due = await Membership.filter(provider=STARS, live=LIVE, access_until__lte=now).order_by(
            "id"
        )
        for row in due:
            assert row.access_until is not None
            snapshot = Snapshot(
                ProviderStatus.CANCELED,
                as_of=max(row.access_until, row.snapshot_at + _LATER),
                started_at=row.started_at,
                current_period_end=row.current_period_end,
                ended_at=row.current_period_end or row.access_until,
                cancel_reason="not renewed",
            )
            await self._record(row, snapshot)
        return len(due)

    async def mismatches(self) -> list[Mismatch]:
        """The access report's lines from a reconcile (core/memberships/access_report.py):
        what it found, or that Telegram could not be asked while Stars members exist."""
        if not await Membership.exists(provider=STARS):
            return []
        try:
            done = await self.reconcile()
        except ProviderUnreachable as error:
            return [Mismatch(MismatchKind.UNCHECKED, None, f"Telegram Stars charges: {error}")]
        return [Mismatch(found.kind, found.fan_id, found.detail) for found in done.findings]

    async def reconcile(self) -> StarsReconciled:
        """Telegram's subscription charges of the last 30 days against the memberships: a
        charge whose update was lost is recorded now; a period Telegram charged for that
        runs now while Dropcast gives no access is a finding for the creator."""
        now = self.clock.now()
        charges = await self.telegram.charges(now - WINDOW)
        healed = refunded = 0
        findings: list[StarsFinding] = []
        latest: dict[tuple[int, int], StarsCharge] = {}
        for charge in charges:
            named = plan_and_fan(charge.payload)
            if named is None:
                continue
            try:
                view, changed = await self._settle(charge)
            except DropcastError as refusal:
                findings.append(_finding(named[1], charge, f"not recorded: {refusal}"))
                continue
            healed += changed
            if view is None:
                refunded += 1
                continue
            latest[(view.fan_id, view.plan_id)] = charge
        for (fan_id, plan_id), charge in latest.items():
            row = await _subscription_of(fan_id, plan_id)
            if charge.expires_at > now and (
                row is None
                or row.state == MemberState.ENDED
                or row.access_until is None
                or row.access_until <= now
            ):
                findings.append(_finding(fan_id, charge, "Dropcast thinks the membership ended"))
        done = StarsReconciled(len(charges), healed, refunded, tuple(findings))
        log.info("stars_memberships_reconciled", read=done.read, healed=healed,
                 refunded=refunded, findings=len(findings))  # fmt: skip
        return done

    async def _settle(self, charge: StarsCharge) -> tuple[MembershipView | None, bool]:
        """The charge recorded; whether it changed the membership."""
        named = plan_and_fan(charge.payload)
        if named is None:
            raise InvalidInput("this payment is not for a membership plan")
        plan_id, fan_id = named
        if await is_forgotten(fan_id):
            row = await _subscription_of(fan_id, plan_id)
            paid_up = row.current_period_end if row is not None else None
            if row is not None and paid_up is not None and charge.expires_at <= paid_up:
                return await membership_view(row.id), False  # paid before they were forgotten
            await self._give_back(charge, row.subscription_ref if row else charge.charge_id)
            if row is not None and row.state != MemberState.ENDED:
                as_of = max(self.clock.now(), row.snapshot_at + _LATER)
                ended = Snapshot(ProviderStatus.CANCELED, as_of, row.started_at,
                                 current_period_end=row.current_period_end, ended_at=as_of,
                                 cancel_reason="forgotten")  # fmt: skip
                await self._record(row, ended)
            log.info("stars_charge_of_forgotten_fan_refunded", plan_id=plan_id)
            return None, True
        payer = await PlatformAccount.get_or_none(
            platform=Platform.TELEGRAM, platform_user_id=charge.user_ref
        )
        if payer is not None and payer.fan_id != fan_id:  # the accounts were joined since
            log.warning("stars_payer_is_another_fan", named=fan_id, payer=payer.fan_id)
            fan_id = payer.fan_id
        row = await _renewed(charge, fan_id, plan_id)
        if row is None:  # the subscription's first charge: its id is the subscription's
            snapshot = _active(charge.expires_at, charge.period_start, charge.paid_at, False)
            try:
                view = await self.memberships.record(
                    fan_id, plan_id, STARS, charge.charge_id, snapshot
                )
            except InvalidState:  # a second subscription to a plan the fan holds
                await self._give_back(charge, charge.charge_id)
                log.info("stars_second_subscription_refunded", fan_id=fan_id, plan_id=plan_id)
                return None, True
            return view, True
        before = (row.state, row.current_period_end, row.cancel_at_period_end)
        view = await self._record(row, _paid(charge, row))
        return view, before != (view.state, view.current_period_end, view.cancel_at_period_end)

    async def _give_back(self, charge: StarsCharge, subscription_ref: str) -> None:
        """Stop the subscription renewing, then refund the charge (stopping the next charge
        matters more, should the refund fail); done again, it changes nothing more (a refund
        made already counts as done)."""
        await self.telegram.edit(charge.user_ref, subscription_ref, True)
        await self.telegram.refund(charge.user_ref, charge.charge_id)

    async def _record(self, row: Membership, snapshot: Snapshot) -> MembershipView:
        return await self.memberships.record(
            row.fan_id, row.plan_id, STARS, row.subscription_ref, snapshot
        )


def _invoice(plan: PlanView, fan_id: int) -> StarsInvoice:
    assert plan.stars is not None
    return StarsInvoice(
        plan_id=plan.id,
        fan_id=fan_id,
        title=plan.name[:32],
        description=(
            f"{plan.name}: {plan.stars} Stars every 30 days until you cancel (/membership)"
        )[:255],
        stars=plan.stars,
        payload=plan_payload(plan.id, fan_id),
    )


def _active(end: datetime, as_of: datetime, started_at: datetime, cancelling: bool) -> Snapshot:
    return Snapshot(
        ProviderStatus.ACTIVE,
        as_of=as_of,
        started_at=started_at,
        current_period_start=end - PERIOD,
        current_period_end=end,
        cancel_at_period_end=cancelling,
    )


def _paid(charge: StarsCharge, row: Membership) -> Snapshot:
    """The charge's period as a snapshot dated at its start, so a repeat is the same one. A
    renewal seen only after the fan's later edit (a lost update) keeps that edit, as of just
    after it; an ended membership is not opened again by it (the reconcile reports it)."""
    end, start = charge.expires_at, charge.period_start
    known_end = row.current_period_end
    if (
        row.state != MemberState.ENDED
        and known_end is not None
        and end > known_end
        and row.snapshot_at > start
    ):
        return _active(end, row.snapshot_at + _LATER, row.started_at, row.cancel_at_period_end)
    return _active(end, start, row.started_at, False)


async def _renewed(charge: StarsCharge, fan_id: int, plan_id: int) -> Membership | None:
    """The membership the charge continues (its first charge seen again, or a renewal);
    None when the charge starts a subscription. Telegram's list does not say which a charge
    is: a charge whose period starts where the latest membership's ends renews it."""
    same = await Membership.get_or_none(provider=STARS, subscription_ref=charge.charge_id)
    if same is not None or charge.first:
        return same
    row = await _subscription_of(fan_id, plan_id)
    if row is None or charge.first is False:
        return row
    end = row.current_period_end
    return row if end is not None and charge.period_start <= end + CONTIGUOUS else None


async def _subscription_of(fan_id: int, plan_id: int) -> Membership | None:
    """The fan's latest Stars membership of the plan."""
    return (
        await Membership.filter(fan_id=fan_id, plan_id=plan_id, provider=STARS)
        .order_by("-id")
        .first()
    )


def _finding(fan_id: int, charge: StarsCharge, what: str) -> StarsFinding:
    return StarsFinding(
        CHARGED_WHILE_ENDED,
        fan_id,
        f"Telegram charged {charge.stars} Stars ({charge.charge_id}) on"
        f" {charge.paid_at:%Y-%m-%d} for a period to {charge.expires_at:%Y-%m-%d}; {what}",
    )
