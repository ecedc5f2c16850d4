"""A subscriber claims a subscription moved in from another tool (core/memberships/
importing.py) with its one-time code, from Discord or Telegram: the claim is taken by one
conditional update (of two fans at once, one wins), the provider's subscription is made to
name the fan and plan in its metadata, as a join does, so its later events find them, and the
membership is recorded from the subscription as it is now, with its own paid-through date.
Nothing is charged. A fan whose claim was taken but not completed (the provider did not
answer) may send the code again; anyone else is told it was used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.consent import Consent
from core.errors import InvalidInput, InvalidState, NotFound, ProviderUnreachable
from core.fans import FanRef, fan_id_of
from core.kinds import SubscriptionProvider
from core.memberships.members import Memberships
from core.models import Membership, MembershipPlan, SubscriptionClaim
from core.models.memberships import LIVE
from core.ports import Clock, MembershipBilling
from core.tokens import digest

STRIPE = SubscriptionProvider.STRIPE
USED = "that claim link was used already; if it was not you, ask the creator"
EXPIRED = "that claim link has expired: ask the creator for a new one"
UNREACHABLE = "the payment provider did not answer; send the same code again in a minute"
UNKNOWN = "that is not a claim link the creator gave out: check it, or ask them for yours"


@dataclass(frozen=True, slots=True)
class Claimed:
    plan: str
    state: str  # core.kinds.MemberState
    paid_through: datetime | None  # the end of the period paid for
    access_until: datetime | None


class Claiming:
    def __init__(
        self, clock: Clock, memberships: Memberships, billing: MembershipBilling, consent: Consent
    ) -> None:
        self.clock = clock
        self.memberships = memberships
        self.billing = billing
        self.consent = consent

    async def claim_as(self, code: str, fan: FanRef, *, opting_in: str | None = None) -> Claimed:
        """The platform user claims the subscription behind `code`. Claimed by a link that
        also starts the chat with the bot, it is a yes to DMs there too (`opting_in`)."""
        code = code.strip() if isinstance(code, str) else ""
        if not 1 <= len(code) <= 64:
            raise InvalidInput(UNKNOWN)
        found = await SubscriptionClaim.get_or_none(digest=digest(code))
        if found is None:
            raise NotFound(UNKNOWN)
        fan_id = await fan_id_of(fan)
        if opting_in is not None:
            await self.consent.give(fan_id, fan.platform, opting_in)
        plan = await MembershipPlan.get(id=found.plan_id)
        now = self.clock.now()
        mine = found.used_at is not None and found.fan_id == fan_id
        if found.used_at is not None and not mine:
            raise InvalidState(USED)
        if await Membership.exists(provider=STRIPE, subscription_ref=found.subscription_ref):
            raise InvalidState(f"you are a member of {plan.name!r} already")
        if found.used_at is None and found.expires_at <= now:
            raise InvalidState(EXPIRED)
        if await Membership.exists(fan_id=fan_id, plan_id=found.plan_id, live=LIVE):
            raise InvalidState(
                f"you are a member of {plan.name!r} already, with another subscription; "
                "this claim is left unused"
            )
        if not mine:
            taken = await SubscriptionClaim.filter(
                id=found.id, used_at__isnull=True, expires_at__gt=now
            ).update(used_at=now, fan_id=fan_id)
            if not taken:
                raise InvalidState(USED)
        try:
            billed = await self.billing.assign(found.subscription_ref, fan_id, found.plan_id)
        except ProviderUnreachable as error:  # the claim stays this fan's to finish
            raise InvalidState(UNREACHABLE) from error
        view = await self.memberships.record(
            fan_id, found.plan_id, STRIPE, billed.ref, billed.snapshot
        )
        return Claimed(plan.name, view.state, view.current_period_end, view.access_until)
