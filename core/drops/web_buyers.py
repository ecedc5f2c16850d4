"""Buying from a drop's public page: tap 1 holds a unit and answers with the provider's
checkout page (tap 2 pays).

The hold is for the fan a signed offer names; otherwise for a web buyer: a fan with no
platform account, remembered by a signed code in their browser (purpose `buyer`), so the
same browser tapping again gets its own hold back, as a fan tapping twice in a bot does.
One client address holds at most `OPEN_HOLDS_PER_ADDRESS` units at a time, so a script
cannot hold a drop's whole stock.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import sql
from core.drops.holds import Holds
from core.drops.stock import tier_for_fan
from core.errors import DropcastError, InvalidState, NotFound, PaidInStars
from core.kinds import HoldStatus
from core.models import Fan, Link
from core.money import STARS
from core.offers import Offer
from core.ports import Clock
from core.signing import Keyring

BUYER = "buyer"
OPEN_HOLDS_PER_ADDRESS = 3
WEB_BUYER_NAME = "web buyer"
_OPEN_HOLDS = (
    'SELECT COUNT(*) AS n FROM "web_hold" w JOIN "reservation" r ON r.id = w.hold_id '
    "WHERE w.address = {address} AND r.status = {held} AND r.expires_at > {now}"
)
_KEEP = (
    'INSERT INTO "web_hold" ("hold_id", "address", "created_at") '
    'VALUES ({hold_id}, {address}, {now}) ON CONFLICT ("hold_id") DO NOTHING'
)
_DROP_OF_TIER = (
    'SELECT d.code, t.currency FROM "drop_tier" t JOIN "drop" d ON d.id = t.drop_id '
    "WHERE t.id = {tier_id}"
)


class TooManyHolds(InvalidState):
    """This client address already holds as many units as one address may."""


@dataclass(frozen=True, slots=True)
class WebCheckout:
    """A web tap's answer: the hold, the provider's page where it is paid, and the buyer's
    code to keep in the browser (a new buyer's, or the one it sent)."""

    hold_id: int
    checkout_url: str
    buyer: str | None


class WebBuyers:
    def __init__(self, clock: Clock, keyring: Keyring, holds: Holds) -> None:
        self.clock = clock
        self.keyring = keyring
        self.holds = holds

    async def buyer(self, code: str | None) -> int | None:
        """The web buyer a browser's signed code names; None for none (or a forged one)."""
        if not code:
            return None
        fields = (await self.keyring.signer()).read(BUYER, code)
        if fields is None or len(fields) != 1 or not fields[0].isdigit():
            return None
        return int(fields[0])

    async def buy(
        self,
        drop_code: str,
        tier_id: int,
        *,
        buyer: str | None,
        address: str,
        offer: Offer | None,
        pop_up_id: int | None = None,
    ) -> WebCheckout:
        """Hold a unit of the tier for the offer's fan, else the browser's web buyer (made
        now for a browser without one), to pick up at `pop_up_id` if given, and make its
        checkout page. Refusals raise with the reason to show; a refused tap leaves nothing
        behind."""
        found = await sql.rows(_DROP_OF_TIER, tier_id=tier_id)
        if not found or found[0]["code"] != drop_code:
            raise NotFound(f"this drop has no tier #{tier_id}")
        if found[0]["currency"] == STARS:
            raise PaidInStars("this tier is paid in Telegram Stars, in the bot chat")
        named = offer.fan_id if offer is not None else None
        known = named if named is not None else await self.buyer(buyer)
        await self._check_address(address, tier_id, known)
        code = buyer if named is None else None
        new_fan = known is None or (named is None and not await Fan.exists(id=known))
        if known is None or new_fan:  # a first tap, or a browser whose buyer was forgotten
            fan_id = (await Fan.create(display_name=WEB_BUYER_NAME)).id
            code = (await self.keyring.signer()).sign(BUYER, [fan_id])
        else:
            fan_id = known
        try:
            hold = await self.holds.reserve(tier_id, fan_id, pop_up_id=pop_up_id)
        except DropcastError:
            if new_fan:  # a refused first tap leaves no fan behind
                await Fan.filter(id=fan_id).delete()
            raise
        await sql.rows(_KEEP, hold_id=hold.id, address=address[:64], now=self.clock.now())
        await self.holds.pay_link(hold.id, fan_id)  # the bots' path: a session per hold
        link = await Link.get(purpose="pay", ref=str(hold.id))
        return WebCheckout(hold.id, link.target, code)

    async def _check_address(self, address: str, tier_id: int, fan_id: int | None) -> None:
        """Refuse an address at its limit, unless this buyer taps again for a unit they hold
        (they get that hold back)."""
        now = self.clock.now()
        [row] = await sql.rows(_OPEN_HOLDS, address=address[:64], held=HoldStatus.HELD, now=now)
        if int(row["n"]) < OPEN_HOLDS_PER_ADDRESS:
            return
        if fan_id is not None:
            found = await tier_for_fan(tier_id, fan_id, now)
            if found is not None and found.held is not None:
                return
        raise TooManyHolds(
            f"this connection already holds {OPEN_HOLDS_PER_ADDRESS} units; pay for them or"
            " let them lapse, then try again"
        )
