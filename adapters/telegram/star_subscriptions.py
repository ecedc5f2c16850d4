"""The core's `StarSubscriptions` port on Telegram: a plan's invoice link with Telegram's
30-day subscription period, `editUserStarSubscription`, refunds, and the subscription
charges in the bot's Star transactions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram import LabeledPrice, StarTransaction, TransactionPartnerUser
from telegram.error import BadRequest
from telegram.ext import ExtBot

from adapters.telegram.bot import ready
from adapters.telegram.errors import said
from adapters.telegram.stars import recent_transactions
from core.memberships.star_charges import PERIOD, StarsCharge, StarsInvoice, plan_and_fan

# what Telegram answers for a charge refunded already (see StarsRefunds)
REFUNDED_ALREADY = "Bad Request: CHARGE_ALREADY_REFUNDED"


class TelegramStarSubscriptions:
    def __init__(self, bot: ExtBot[Any]) -> None:
        self.bot = bot

    async def invoice_link(self, invoice: StarsInvoice) -> str:
        # core.telegram.org/bots/api#createinvoicelink: Stars are currency "XTR", an empty
        # provider token and exactly one price; subscription_period 2592000 (30 days)
        return await (await ready(self.bot)).create_invoice_link(
            title=invoice.title,
            description=invoice.description,
            payload=invoice.payload,
            currency="XTR",
            prices=[LabeledPrice(invoice.title, invoice.stars)],
            provider_token="",
            subscription_period=int(PERIOD.total_seconds()),
        )

    async def edit(self, user_ref: str, charge_id: str, cancelled: bool) -> None:
        await (await ready(self.bot)).edit_user_star_subscription(
            int(user_ref), charge_id, cancelled
        )

    async def refund(self, user_ref: str, charge_id: str) -> None:
        try:
            await (await ready(self.bot)).refund_star_payment(int(user_ref), charge_id)
        except BadRequest as error:
            if not said(error, REFUNDED_ALREADY):
                raise

    async def charges(self, since: datetime) -> list[StarsCharge]:
        recent = await recent_transactions(self.bot, since)
        refunded = {t.id for t in recent if t.receiver is not None}
        found = (_charge(t) for t in recent if t.id not in refunded)
        return [charge for charge in found if charge is not None]


def _charge(transaction: StarTransaction) -> StarsCharge | None:
    """A user's payment for a plan's subscription (TransactionPartnerUser with a
    subscription_period, core.telegram.org/bots/api#transactionpartneruser)."""
    source = transaction.source
    if (
        not isinstance(source, TransactionPartnerUser)
        or source.subscription_period is None
        or plan_and_fan(source.invoice_payload or "") is None
    ):
        return None
    return StarsCharge(
        charge_id=transaction.id,
        user_ref=str(source.user.id),
        payload=source.invoice_payload or "",
        stars=transaction.amount,
        paid_at=transaction.date,
        expires_at=transaction.date + source.subscription_period,
    )
