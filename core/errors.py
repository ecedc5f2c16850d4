"""Errors whose message is safe and useful to show to the person who caused them."""


class ProviderUnreachable(ConnectionError):
    """A payment provider cannot be reached or is not configured; the work waits for a retry."""


class DropcastError(Exception):
    """Base of every error the core raises on purpose; `str(err)` is the user-facing message."""


class InvalidInput(DropcastError):
    """The arguments themselves are wrong (a price, a date, a stock figure)."""


class NotFound(DropcastError):
    """The drop, tier, hold or fan named does not exist."""


class InvalidState(DropcastError):
    """The request is well-formed but not allowed in the thing's current state."""


class SoldOut(InvalidState):
    """No unit of the tier is free right now."""


class LimitReached(InvalidState):
    """The fan already holds or bought as many units as the tier allows."""


class PaidInStars(InvalidState):
    """The tier is paid in Telegram Stars, by invoice in the bot chat: it has no pay link."""


class PaymentsNotSetUp(InvalidState):
    """No payment provider is configured: nothing can be paid, so nothing was held."""


class AlreadyMember(InvalidState):
    """The fan already holds an unended membership of the plan: a second subscription would
    bill them twice. `portal_url` is where they manage the one they have (None if the
    provider could not be asked for it just now)."""

    def __init__(self, message: str, portal_url: str | None) -> None:
        super().__init__(message)
        self.portal_url = portal_url
