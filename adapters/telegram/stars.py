"""Stars payments as the core settles them, and a reconcile against Telegram's own list of
the bot's Star transactions: a payment whose `successful_payment` update never reached us
(a crash right after taking it, a webhook Telegram gave up on) still becomes its order."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from telegram import StarTransaction, TransactionPartnerUser
from telegram.ext import ExtBot

from adapters.telegram.bot import ready
from core.drops.order_rows import PaymentReceived
from core.drops.payments import Payments
from core.errors import NotFound
from core.kinds import PaymentProvider
from core.money import STARS, Money
from core.ports import Clock

log = structlog.get_logger(__name__)
HOLD = "hold:"
# core.telegram.org/bots/api#getstartransactions: limit "Values between 1-100 are accepted"
PAGE = 100
# how far back each run looks: a run every 10 minutes gets many tries at a lost payment
WINDOW = timedelta(hours=24)
MOST = 1_000  # transactions read per run at most, however busy the day was


def invoice_payload(hold_id: int) -> str:
    """What a Stars invoice carries: the hold it pays."""
    return f"{HOLD}{hold_id}"


def hold_named(payload: str) -> int | None:
    """The hold an invoice payload names, or None when the invoice is not one of ours."""
    ref = payload.removeprefix(HOLD)
    return int(ref) if payload.startswith(HOLD) and ref.isdecimal() else None


def stars_payment(charge_id: str, payload: str, amount: Money) -> PaymentReceived:
    """The payment the core settles, from a `successful_payment` message or from Telegram's
    transaction list alike, so one charge makes one order whichever is seen first."""
    hold_id = hold_named(payload) or 0  # names no hold: the core refuses it
    return PaymentReceived(charge_id, PaymentProvider.TELEGRAM_STARS, hold_id, amount)


@dataclass(frozen=True, slots=True)
class Reconciled:
    """One run: transactions read, incoming payments for a hold among them, orders made for
    those that had none, and payments naming a hold this database does not have."""

    read: int
    payments: int
    settled: int
    unknown: int


class StarsLedger:
    """Telegram's record of the Stars the bot took, checked against our orders."""

    def __init__(self, bot: ExtBot[Any], payments: Payments, clock: Clock) -> None:
        self.bot = bot
        self.payments = payments
        self.clock = clock

    async def reconcile(self) -> Reconciled:
        """Settle each payment of the last day that names a hold and has no order yet, as the
        `successful_payment` handler would have. A payment Telegram gave back is left alone:
        its refund is a transaction of its own, with the payment's id and a `receiver`."""
        since = self.clock.now() - WINDOW
        recent = await recent_transactions(self.bot, since)
        refunded = {t.id for t in recent if t.receiver is not None}
        paid = [(t, p) for t in recent if (p := _payload(t)) and t.id not in refunded]
        ids = [t.id for t, _ in paid]
        known = await self.payments.recorded(ids)
        settled = unknown = 0
        for transaction, payload in paid:
            if transaction.id in known:
                continue
            try:
                amount = Money(transaction.amount, STARS)
                await self.payments.settle(stars_payment(transaction.id, payload, amount))
            except NotFound:
                unknown += 1
                log.warning("stars_payment_names_unknown_hold", hold_id=hold_named(payload))
                continue
            settled += 1
        done = Reconciled(len(recent), len(paid), settled, unknown)
        log.info("stars_reconciled", **asdict(done))
        return done


async def recent_transactions(bot: ExtBot[Any], since: datetime) -> list[StarTransaction]:
    """The bot's Star transactions since `since` (at most MOST of the latest), oldest first."""
    # core.telegram.org/bots/api#getstartransactions lists them "in chronological order":
    # oldest first (for a bot, TDLib asks Telegram for them ascending: github.com/tdlib/td,
    # td/telegram/StarManager.cpp), `offset` counting from the oldest and no total given.
    # So the end is found first, then the list is read backwards from it
    bot = await ready(bot)
    end = await _count(bot)
    tail: list[StarTransaction] = []
    while end > 0 and len(tail) < MOST:
        start = max(0, end - PAGE)
        page = (await bot.get_star_transactions(offset=start, limit=end - start)).transactions
        tail[:0] = page
        if not page or page[0].date < since:
            break
        end = start
    return [t for t in tail if t.date >= since]


def _payload(transaction: StarTransaction) -> str | None:
    """The invoice payload of a payment from a user (`source`; a refund is a `receiver`),
    when it names a hold."""
    source = transaction.source
    if not isinstance(source, TransactionPartnerUser) or source.invoice_payload is None:
        return None
    return source.invoice_payload if hold_named(source.invoice_payload) is not None else None


async def _count(bot: ExtBot[Any]) -> int:
    """How many transactions the bot has: offsets probed one transaction at a time, doubling
    until one is past the end (an empty answer), then halving back to the end."""

    async def has(offset: int) -> bool:
        return bool((await bot.get_star_transactions(offset=offset, limit=1)).transactions)

    if not await has(0):
        return 0
    low, high = 0, 1  # a transaction at offset `low`; maybe none at `high`
    while await has(high):
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if await has(middle) else (low, middle)
    return high
