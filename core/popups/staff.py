"""Staff links: what the people handing over pickups at a pop-up open on their phones. A link
names its pop-up, the staff member and when it stops working, signed (core/signing.py), so
the scan page knows who scans where without an account or a row in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.errors import InvalidInput, NotFound
from core.models.popups import PopUp
from core.ports import Clock
from core.signing import SEPARATOR, Keyring

PURPOSE = "staff"
LONGEST = timedelta(days=14)  # past a pop-up's days, a lost phone should not keep scanning
NAME_LENGTH = 64  # as `PickupPass.collected_by`


@dataclass(frozen=True, slots=True)
class Staff:
    """Who holds a staff link, for which pop-up, until when."""

    pop_up_id: int
    name: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class StaffLink:
    url: str
    staff: Staff
    place: str


class StaffLinks:
    def __init__(self, keyring: Keyring, clock: Clock, base_url: str) -> None:
        self.keyring = keyring
        self.clock = clock
        self.base_url = base_url.rstrip("/")

    async def make(self, pop_up_id: int, name: str, lifetime: timedelta) -> StaffLink:
        """`{base}/scan/{code}` for this person at this pop-up, working for `lifetime`."""
        name = " ".join(name.split())
        if not name or len(name) > NAME_LENGTH or SEPARATOR in name:
            raise InvalidInput(f"give a name of 1 to {NAME_LENGTH} characters, without {SEPARATOR}")
        if not timedelta(hours=1) <= lifetime <= LONGEST:
            raise InvalidInput(f"a staff link works for 1 hour to {LONGEST.days} days")
        pop_up = await PopUp.get_or_none(id=pop_up_id)
        if pop_up is None:
            raise NotFound(f"no pop-up #{pop_up_id}")
        expires_at = (self.clock.now() + lifetime).replace(microsecond=0)
        fields = (pop_up_id, name, int(expires_at.timestamp()))
        code = (await self.keyring.signer()).sign(PURPOSE, fields)
        staff = Staff(pop_up_id, name, expires_at)
        return StaffLink(f"{self.base_url}/scan/{code}", staff, pop_up.place)

    async def read(self, code: str) -> Staff | None:
        """The staff a link's code names while it works; None for a code we did not sign or
        one past its time."""
        fields = (await self.keyring.signer()).read(PURPOSE, code)
        if fields is None or len(fields) != 3:
            return None
        pop_up, name, expires = fields
        if not (pop_up.isdigit() and expires.isdigit()):
            return None
        expires_at = datetime.fromtimestamp(int(expires), UTC)
        if expires_at <= self.clock.now():
            return None
        return Staff(int(pop_up), name, expires_at)
