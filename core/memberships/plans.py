"""Membership plans: what a creator sells by the month or year, checked before anything is
stored (as core/drops/specs.py checks a drop). An archived plan sells no more; its members
keep it until they cancel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count

from core.drops.specs import MAX_PRICE_MINOR
from core.errors import InvalidInput, InvalidState, NotFound
from core.kinds import MemberState, PlanPeriod
from core.models import Membership, MembershipPlan, Perk
from core.money import STARS, Money
from core.perks import PERK_NAME
from core.ports import Clock

MAX_NAME = 80
MAX_TRIAL_DAYS = 90
# Telegram takes at most 10,000 Stars for one subscription period (Bot API createInvoiceLink)
MAX_STARS = 10_000
MAX_EARLY_ACCESS_MINUTES = 7 * 24 * 60
MAX_PERKS = 20


@dataclass(frozen=True, slots=True)
class PlanSpec:
    """A plan as a creator asks for it. `price` is charged every `period` (Stripe);
    `stars` every 30 days in Telegram Stars, if the plan is sold there too."""

    name: str
    price: Money
    period: PlanPeriod | str = PlanPeriod.MONTHLY
    stars: int | None = None
    trial_days: int = 0
    perks: Sequence[str] = ()
    early_access_minutes: int = 0
    lapsed_perk: str | None = None  # held by members whose payments lapsed, instead

    def checked(self) -> PlanSpec:
        name = " ".join(self.name.split()) if isinstance(self.name, str) else ""
        if not 1 <= len(name) <= MAX_NAME:
            raise InvalidInput(f"a plan needs a name of 1 to {MAX_NAME} characters")
        if not isinstance(self.price, Money):
            raise InvalidInput(f"plan {name!r}: the price must be Money, not {self.price!r}")
        if self.price.currency == STARS:
            raise InvalidInput(
                f"plan {name!r}: the price is charged through Stripe, in a currency such as EUR;"
                " give a Telegram Stars price as stars"
            )
        if self.price.minor < 1:
            raise InvalidInput(
                f"plan {name!r}: the price must be above zero; free time is a trial (trial days)"
            )
        if self.price.minor > MAX_PRICE_MINOR:
            raise InvalidInput(
                f"plan {name!r}: the price {self.price} is more than one payment can take"
            )
        try:
            period = PlanPeriod(self.period)
        except ValueError:
            choices = " or ".join(p.value for p in PlanPeriod)
            raise InvalidInput(f"plan {name!r}: period {self.period!r} is not {choices}") from None
        if self.stars is not None:
            _whole(self.stars, f"plan {name!r}: the Stars price per 30 days", 1, MAX_STARS)
        _whole(self.trial_days, f"plan {name!r}: trial days", 0, MAX_TRIAL_DAYS)
        _whole(
            self.early_access_minutes,
            f"plan {name!r}: early access minutes",
            0,
            MAX_EARLY_ACCESS_MINUTES,
        )
        return PlanSpec(
            name,
            self.price,
            period,
            self.stars,
            self.trial_days,
            _perk_names(name, self.perks),
            self.early_access_minutes,
            _perk_names(name, (self.lapsed_perk,))[0] if self.lapsed_perk is not None else None,
        )


@dataclass(frozen=True, slots=True)
class PlanView:
    id: int
    name: str
    price: Money
    period: str
    stars: int | None
    trial_days: int
    perks: tuple[str, ...]
    early_access_minutes: int
    created_at: datetime
    archived_at: datetime | None
    lapsed_perk: str | None
    members: tuple[tuple[str, int], ...]  # unended memberships by state, in state order

    @property
    def on_sale(self) -> bool:
        return self.archived_at is None


class Plans:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def create(self, spec: PlanSpec) -> PlanView:
        spec = spec.checked()
        perks = await _perks(spec.perks)
        lapsed = (await _perks((spec.lapsed_perk,)))[0] if spec.lapsed_perk else None
        key = spec.name.casefold()
        same = await MembershipPlan.get_or_none(name_key=key, archived_at__isnull=True)
        if same is not None:
            raise _name_taken(same.name, same.id)
        try:
            plan = await MembershipPlan.create(
                name=spec.name,
                name_key=key,
                price_minor=spec.price.minor,
                currency=spec.price.currency,
                period=spec.period,
                stars_per_30_days=spec.stars,
                trial_days=spec.trial_days,
                early_access_minutes=spec.early_access_minutes,
                created_at=self.clock.now(),
                lapsed_perk=lapsed,
            )
        except IntegrityError:  # another creator's command took the name meanwhile
            same = await MembershipPlan.get_or_none(name_key=key, archived_at__isnull=True)
            raise _name_taken(same.name if same else spec.name, same.id if same else None) from None
        if perks:
            await plan.perks.add(*perks)
        return await plan_view(plan.id)

    async def archive(self, plan_id: int) -> PlanView:
        """Stop selling the plan; members keep it until they cancel. Its name is free again."""
        changed = await MembershipPlan.filter(id=plan_id, archived_at__isnull=True).update(
            archived_at=self.clock.now(), live=None
        )
        if not changed:
            plan = await plan_view(plan_id)  # NotFound if there is none
            raise InvalidState(f"plan #{plan.id} {plan.name!r} is archived already")
        return await plan_view(plan_id)

    async def for_sale(self, plan_id: int) -> PlanView:
        """The plan, if a fan may start a membership of it now."""
        plan = await plan_view(plan_id)
        if not plan.on_sale:
            raise InvalidState(f"the plan {plan.name!r} is no longer offered")
        return plan


async def plan_view(plan_id: int) -> PlanView:
    plan = await MembershipPlan.get_or_none(id=plan_id).prefetch_related("perks", "lapsed_perk")
    if plan is None:
        raise NotFound(f"there is no plan #{plan_id}")
    return (await _views([plan]))[0]


async def list_plans(*, archived: bool = True) -> list[PlanView]:
    """Every plan, oldest first; without `archived`, only those on sale."""
    query = MembershipPlan.all() if archived else MembershipPlan.filter(archived_at__isnull=True)
    return await _views(await query.order_by("id").prefetch_related("perks", "lapsed_perk"))


async def _views(plans: list[MembershipPlan]) -> list[PlanView]:
    counted = (
        await Membership.filter(plan_id__in=[plan.id for plan in plans], live__isnull=False)
        .annotate(n=Count("id"))
        .group_by("plan_id", "state")
        .values_list("plan_id", "state", "n")
    )
    by_plan: dict[int, dict[str, int]] = {}
    for plan_id, state, n in counted:
        by_plan.setdefault(plan_id, {})[MemberState(state).value] = n
    order = [state.value for state in MemberState]
    return [
        PlanView(
            id=plan.id,
            name=plan.name,
            price=Money(plan.price_minor, plan.currency),
            period=PlanPeriod(plan.period).value,
            stars=plan.stars_per_30_days,
            trial_days=plan.trial_days,
            perks=tuple(sorted(perk.name for perk in plan.perks)),
            early_access_minutes=plan.early_access_minutes,
            created_at=plan.created_at,
            archived_at=plan.archived_at,
            lapsed_perk=plan.lapsed_perk.name if plan.lapsed_perk else None,
            members=tuple(
                sorted(by_plan.get(plan.id, {}).items(), key=lambda item: order.index(item[0]))
            ),
        )
        for plan in plans
    ]


async def _perks(names: Sequence[str]) -> list[Perk]:
    found = {perk.name: perk for perk in await Perk.filter(name__in=list(names))}
    missing = [name for name in names if name not in found]
    if missing:
        raise InvalidInput(
            f"there is no perk called {', '.join(repr(n) for n in missing)}: name it where it"
            " lives first (/perkchat in a Telegram chat, /setup perk in Discord)"
        )
    return [found[name] for name in names]


def _perk_names(plan: str, perks: Sequence[str]) -> tuple[str, ...]:
    if isinstance(perks, str) or not all(isinstance(p, str) for p in perks):
        raise InvalidInput(f"plan {plan!r}: perks are a list of perk names")
    names = [perk.strip().lower() for perk in perks]
    if len(names) > MAX_PERKS:
        raise InvalidInput(f"plan {plan!r}: at most {MAX_PERKS} perks")
    for name in names:
        if not PERK_NAME.fullmatch(name):
            raise InvalidInput(
                f"plan {plan!r}: a perk name is 1 to 32 lowercase letters, digits, - or _,"
                f" not {name!r}"
            )
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise InvalidInput(f"plan {plan!r}: perk {', '.join(twice)} is named twice")
    return tuple(names)


def _name_taken(name: str, plan_id: int | None) -> InvalidState:
    which = f" (#{plan_id})" if plan_id is not None else ""
    return InvalidState(
        f"a plan called {name!r} is on sale already{which}; pick another name or archive it"
    )


def _whole(value: object, label: str, low: int, high: int) -> int:
    if type(value) is not int:
        raise InvalidInput(f"{label} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise InvalidInput(f"{label} must be between {low} and {high}, got {value}")
    return value
