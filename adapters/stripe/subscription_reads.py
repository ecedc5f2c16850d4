"""Subscriptions read from Stripe after their events arrived, at Stripe's pace.

Every membership event is handled by re-reading its subscription in a read begun after the
event arrived (core/memberships/joining.py), so the order events come in cannot matter. Read
one at a time, a burst of renewals (every member's at the start of a month) costs a request
per event, and Stripe serves an endpoint 25 times a second (docs.stripe.com/rate-limits: "API
endpoints have a default limit of 25 requests per second"): 10,000 members would wait
minutes. So reads asked for at about the same moment wait `GATHER` for each other; when more
wait than listing the account's subscriptions would take pages (100 a page), one listing
serves them all, and every later read of an event that arrived before it began. Each request
takes its turn in the account's one schedule (core/pace.py), so none is refused for the rate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import stripe

from core.ports import Clock

GATHER = 0.05  # seconds a read waits for others asked for at the same moment
PAGE = 100  # docs.stripe.com/api/pagination: `limit` is 1 to 100
KEPT = timedelta(minutes=5)  # a listing older than this serves no read, and is let go

Read = tuple[dict[str, Any], datetime]  # the subscription, and when it was read


@dataclass(slots=True)
class _Listing:
    began: datetime
    subscriptions: dict[str, Read] = field(default_factory=dict)


class SubscriptionReads:
    def __init__(
        self,
        client: stripe.StripeClient,
        clock: Clock,
        turn: Callable[[], Awaitable[None]],
        known: Callable[[], Awaitable[int]],
    ) -> None:
        """`turn` waits for the account's next request; `known` says how many subscriptions
        the account has, about (those we hold), which is what a listing costs in pages."""
        self.client = client
        self.clock = clock
        self.turn = turn
        self.known = known
        self._listing: _Listing | None = None
        self._waiting: dict[str, list[asyncio.Future[Read]]] = {}
        self._round: asyncio.Task[None] | None = None

    async def read(self, subscription_ref: str, since: datetime | None) -> Read:
        """The subscription, from a read begun after `since` (None: from a fresh read)."""
        listing = self._listing
        if since is not None and listing is not None and listing.began >= since:
            found = listing.subscriptions.get(subscription_ref)
            if found is not None:
                return found
        waiter: asyncio.Future[Read] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(subscription_ref, []).append(waiter)
        if self._round is None:
            self._round = asyncio.create_task(self._read_waiting())
        return await waiter

    async def _read_waiting(self) -> None:
        await asyncio.sleep(GATHER)
        waiting, self._waiting, self._round = self._waiting, {}, None
        try:
            if len(waiting) > await self._pages():
                listing = await self._list_all()
                for ref in [ref for ref in waiting if ref in listing.subscriptions]:
                    for waiter in waiting.pop(ref):
                        _settle(waiter, listing.subscriptions[ref])
            await asyncio.gather(*(self._retrieve(ref, who) for ref, who in waiting.items()))
        except BaseException as error:  # every waiter hears of it, and its event is retried
            for waiters in waiting.values():
                for waiter in waiters:
                    _settle(waiter, error=error)
            raise

    async def _pages(self) -> int:
        listing = self._listing
        if listing is not None and self.clock.now() - listing.began > KEPT:
            self._listing = None
        return await self.known() // PAGE + 1

    async def _list_all(self) -> _Listing:
        """Every subscription of the account, ended ones too (`status=all`), page by page."""
        listing = _Listing(self.clock.now())
        params: dict[str, Any] = {"limit": PAGE, "status": "all"}
        while True:
            await self.turn()
            page = await self.client.v1.subscriptions.list_async(params)  # type: ignore[arg-type]
            read_at = self.clock.now()
            for sub in page.data:
                listing.subscriptions[sub.id] = (sub.to_dict(), read_at)
            if not page.has_more or not page.data:
                break
            params["starting_after"] = page.data[-1].id
        self._listing = listing
        return listing

    async def _retrieve(self, ref: str, waiters: list[asyncio.Future[Read]]) -> None:
        try:
            await self.turn()
            sub = await self.client.v1.subscriptions.retrieve_async(ref)
            read: Read = (sub.to_dict(), self.clock.now())
        except Exception as error:
            for waiter in waiters:
                _settle(waiter, error=error)
            return
        for waiter in waiters:
            _settle(waiter, read)


def _settle(
    waiter: asyncio.Future[Read], read: Read | None = None, error: BaseException | None = None
) -> None:
    if waiter.done():
        return
    if error is not None:
        waiter.set_exception(error)
    elif read is not None:
        waiter.set_result(read)
