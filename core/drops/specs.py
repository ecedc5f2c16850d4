"""What a creator asks for when making or scheduling a drop, checked before anything is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.errors import InvalidInput
from core.kinds import FanTier, TierKind
from core.money import Money, parse_price

MAX_STOCK = 1_000_000
MAX_DESCRIPTION = 1000
MAX_TIERS = 20
MAX_HOLD_MINUTES = 24 * 60
# the most Stripe Checkout takes in one payment (999,999.99 in a two-decimal currency)
MAX_PRICE_MINOR = 99_999_999


@dataclass(frozen=True, slots=True)
class TierSpec:
    name: str
    kind: TierKind | str
    price: Money
    stock: int
    per_fan_limit: int = 1
    content: str = ""
    perk: str = ""  # the name of a perk a paid order grants (see core.perks)
    member_price: Money | None = None  # what members pay instead: lower, same currency
    members_only: bool = False  # only members may buy it

    def checked(self) -> TierSpec:
        name = self.name.strip() if isinstance(self.name, str) else ""
        if not 1 <= len(name) <= 80:
            raise InvalidInput("a tier needs a name of 1 to 80 characters")
        try:
            kind = TierKind(self.kind)
        except ValueError:
            choices = ", ".join(k.value for k in TierKind)
            raise InvalidInput(f"tier kind {self.kind!r} is not one of {choices}") from None
        if not isinstance(self.price, Money):
            raise InvalidInput(f"tier {name!r}: the price must be Money, not {self.price!r}")
        if self.price.minor > MAX_PRICE_MINOR:
            raise InvalidInput(
                f"tier {name!r}: the price {self.price} is more than one payment can take"
            )
        _check_member_price(name, self.price, self.member_price)
        if type(self.members_only) is not bool:
            raise InvalidInput(f"tier {name!r}: members only is yes or no")
        _whole(self.stock, f"tier {name!r}: stock", 1, MAX_STOCK)
        _whole(self.per_fan_limit, f"tier {name!r}: per-fan limit", 1, self.stock)
        if not isinstance(self.content, str) or len(self.content) > 2000:
            raise InvalidInput(f"tier {name!r}: content is text of at most 2000 characters")
        if not isinstance(self.perk, str):
            raise InvalidInput(f"tier {name!r}: a perk is named by text, not {self.perk!r}")
        perk = self.perk.strip().lower()
        if kind != TierKind.PHYSICAL and not self.content.strip() and not perk:
            raise InvalidInput(
                f"tier {name!r} is {kind}: give its content (the link or code buyers receive)"
                " or the perk it grants"
            )
        return TierSpec(
            name, kind, self.price, self.stock, self.per_fan_limit, self.content, perk,
            self.member_price, self.members_only,
        )  # fmt: skip


def _check_member_price(name: str, price: Money, member_price: Money | None) -> None:
    """A member price is a discount on the tier's price, in the same currency (a Stars tier's
    in Stars): members are never asked to pay more than the public."""
    if member_price is None:
        return
    if not isinstance(member_price, Money):
        raise InvalidInput(f"tier {name!r}: the member price must be Money, not {member_price!r}")
    if member_price.currency != price.currency:
        raise InvalidInput(
            f"tier {name!r}: the member price must be in {price.currency}, like the price "
            f"(got {member_price})"
        )
    if member_price.minor >= price.minor:
        raise InvalidInput(
            f"tier {name!r}: the member price {member_price} must be lower than the price {price}"
        )


@dataclass(frozen=True, slots=True)
class EarlyAccess:
    """Fans at `tier` or above may reserve `minutes` before the public opening."""

    tier: FanTier | str
    minutes: int

    def checked(self) -> EarlyAccess:
        try:
            tier = FanTier(self.tier)
        except ValueError:
            choices = ", ".join(t.value for t in FanTier)
            raise InvalidInput(f"fan tier {self.tier!r} is not one of {choices}") from None
        _whole(self.minutes, "early access minutes", 1, 7 * 24 * 60)
        return EarlyAccess(tier, self.minutes)


def check_title(title: str, what: str = "a drop") -> str:
    cleaned = title.strip() if isinstance(title, str) else ""
    if not 1 <= len(cleaned) <= 120:
        raise InvalidInput(f"{what} needs a title of 1 to 120 characters")
    return cleaned


def check_description(text: str) -> str:
    """Short enough to share a post with the tiers on every platform (a Telegram message
    and a Discord embed each hold 4,096 characters)."""
    cleaned = text.strip()
    if len(cleaned) > MAX_DESCRIPTION:
        raise InvalidInput(f"a description has at most {MAX_DESCRIPTION} characters")
    return cleaned


def check_tiers(tiers: list[TierSpec]) -> list[TierSpec]:
    if not 1 <= len(tiers) <= MAX_TIERS:
        raise InvalidInput(f"a drop needs 1 to {MAX_TIERS} tiers")
    checked = [tier.checked() for tier in tiers]
    names = [tier.name.casefold() for tier in checked]
    if len(set(names)) != len(names):
        raise InvalidInput("two tiers have the same name; give each tier its own")
    return checked


def check_window(now: datetime, opens_at: datetime, closes_at: datetime | None) -> None:
    for label, moment in (("opens_at", opens_at), ("closes_at", closes_at)):
        if moment is not None and moment.tzinfo is None:
            raise InvalidInput(f"{label} needs a time zone (e.g. 2026-12-01T18:00+01:00)")
    if opens_at <= now:
        raise InvalidInput(f"opens_at {opens_at.isoformat()} is in the past")
    if closes_at is not None and closes_at <= opens_at:
        raise InvalidInput("closes_at must be after opens_at")


def check_hold_minutes(minutes: int) -> int:
    return _whole(minutes, "hold minutes", 1, MAX_HOLD_MINUTES)


def _whole(value: object, label: str, low: int, high: int) -> int:
    if type(value) is not int:
        raise InvalidInput(f"{label} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise InvalidInput(f"{label} must be between {low} and {high}, got {value}")
    return value


TIER_HELP = (
    'One tier, as "name=Album, price=9.00 EUR, stock=50, content=https://…" or "name=Print, '
    'price=25.00 EUR, stock=20, kind=physical, limit=2"; repeat for more tiers. kind: digital '
    "(default), physical or bundle; content: the link or code a digital buyer receives; limit: "
    "units per fan (default 1); perk: the name of a perk buyers get (a private chat or a role); "
    "member_price: what members pay instead (lower, same currency, e.g. member_price=7.00 EUR); "
    "members=only: only members may buy it."
)
MEMBERS_ONLY = "only"  # members=only


def parse_tier(text: str) -> TierSpec:
    """A tier as a creator types it, in the CLI or a bot chat (TIER_HELP)."""
    fields: dict[str, str] = {}
    key = ""
    for part in text.split(","):
        if key in ("price", "member_price") and "=" not in part and part.strip()[:1].isdigit():
            fields[key] += f",{part.strip()}"  # "price=9,99 EUR": parse_price says what to write
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InvalidInput(f"tier {text!r}: {part.strip()!r} is not key=value")
        key = key.strip().lower()
        fields[key] = value.strip()
    known = {
        "name",
        "price",
        "stock",
        "kind",
        "limit",
        "content",
        "perk",
        "member_price",
        "members",
    }
    unknown = set(fields) - known
    if unknown:
        raise InvalidInput(f"tier {text!r}: unknown field(s) {', '.join(sorted(unknown))}")
    missing = [key for key in ("name", "price", "stock") if key not in fields]
    if missing:
        raise InvalidInput(f"tier {text!r} needs {', '.join(missing)}")
    return TierSpec(
        name=fields["name"],
        kind=fields.get("kind", "digital"),
        price=parse_price(fields["price"]),
        stock=whole_number(fields["stock"], "stock"),
        per_fan_limit=whole_number(fields.get("limit", "1"), "limit"),
        content=fields.get("content", ""),
        perk=fields.get("perk", ""),
        member_price=parse_price(fields["member_price"]) if "member_price" in fields else None,
        members_only=_members(text, fields.get("members")),
    )


def _members(text: str, value: str | None) -> bool:
    if value is None:
        return False
    if value.lower() != MEMBERS_ONLY:
        raise InvalidInput(f"tier {text!r}: members={value!r}: write members=only, or leave it out")
    return True


def parse_tiers(text: str) -> list[TierSpec]:
    """Tiers typed one per line (TIER_HELP), each checked."""
    tiers = [parse_tier(line) for line in text.strip().splitlines() if line.strip()]
    if not tiers:
        raise InvalidInput("give at least one tier")
    return [tier.checked() for tier in tiers]


def whole_number(text: str, label: str) -> int:
    """A count a creator typed, such as a stock or a limit."""
    if not text.lstrip("-").isdigit():
        raise InvalidInput(f"{label} must be a whole number, got {text!r}")
    return int(text)
