"""Blended attribution: each paid order's amount is split between the live sessions, the
campaign DMs and everything else ("organic") by weights the creator sets. Live engagement
earns more credit the more the fan took part (minutes listened, live codes claimed) within
the window before paying; a DM counts if the fan tapped its link in that window; organic
always has its own weight, so every order is fully credited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.analytics.dialect import dm_link, paid_within
from core.analytics.rollups import Fans, Rollup, totals


@dataclass(frozen=True, slots=True)
class Weights:
    live: float = 2.0  # any live session the fan attended in the window
    per_minute: float = 0.05  # each minute listened there, up to `minutes_cap`
    minutes_cap: int = 60
    per_code: float = 0.5  # each live code claimed in the window
    dm: float = 1.0  # a campaign DM link tapped in the window
    organic: float = 0.5  # always there: the post, the bot, word of mouth
    days: int = 7  # how far back before an order engagement counts

    def describe(self) -> str:
        return (
            f"live {self.live:g} + {self.per_minute:g}/minute listened (up to "
            f"{self.minutes_cap}) + {self.per_code:g}/live code, DM tapped {self.dm:g}, "
            f"organic {self.organic:g}; engagement within {self.days} days before paying"
        )


@dataclass(frozen=True, slots=True)
class Credit:
    currency: str
    orders: int
    revenue: int  # minor units
    live: int  # minor units credited to live sessions
    dm: int
    organic: int
    live_orders: float  # orders credited, in fractions
    dm_orders: float
    organic_orders: float


def _parts(w: Weights) -> Callable[[Fans], str]:
    """Per fan and kind of order: n1 orders, n2 revenue. The kind (the key) is what the
    weights apply to: "EUR|1|60|1|0" is currency, listened live (1/0), minutes listened
    (each session capped), live codes claimed and DM tapped (1/0), all within the window
    before paying. The weights themselves are applied when reading, so they can change."""
    window = w.days * 1440

    def parts(fans: Fans) -> str:
        minutes = f"CASE WHEN a.minutes > {w.minutes_cap} THEN {w.minutes_cap} ELSE a.minutes END"
        listened = (
            f'SELECT p.id AS order_id, SUM({minutes}) AS minutes FROM "attendance" a '
            'JOIN "live_session" s ON s.id = a.session_id '
            f'JOIN "order" p ON {paid_within("p", "a.fan_id", "s.started_at", window)} '
            f"WHERE {fans('a.fan_id')} GROUP BY p.id"
        )
        codes = (
            'SELECT p.id AS order_id, COUNT(*) AS codes FROM "ledger_entry" l '
            f'JOIN "order" p ON {paid_within("p", "l.fan_id", "l.created_at", window)} '
            f"WHERE l.reason = 'live_code' AND {fans('l.fan_id')} GROUP BY p.id"
        )
        tapped = (
            'SELECT DISTINCT p.id AS order_id FROM "delivery" x '
            f'JOIN "link" l ON {dm_link("l", "x")} '
            'JOIN "link_click" c ON c.link_id = l.id '
            f'JOIN "order" p ON {paid_within("p", "x.fan_id", "c.at", window)} '
            f"WHERE {fans('x.fan_id')}"
        )
        kind = (
            "p.currency || '|' || CASE WHEN li.order_id IS NULL THEN '0' ELSE '1' END || '|' || "
            "CAST(COALESCE(li.minutes, 0) AS VARCHAR(20)) || '|' || "
            "CAST(COALESCE(co.codes, 0) AS VARCHAR(20)) || '|' || "
            "CASE WHEN t.order_id IS NULL THEN '0' ELSE '1' END"
        )
        return (
            f"SELECT p.fan_id AS fan_id, {kind} AS key, COUNT(*) AS n1, SUM(p.amount_minor) AS n2, "
            '0 AS n3, 0 AS n4, 0 AS n5 FROM "order" p '
            f"LEFT JOIN ({listened}) li ON li.order_id = p.id "
            f"LEFT JOIN ({codes}) co ON co.order_id = p.id "
            f"LEFT JOIN ({tapped}) t ON t.order_id = p.id "
            f"WHERE p.status = 'paid' AND {fans('p.fan_id')} GROUP BY p.fan_id, {kind}"
        )

    return parts


def rollup(weights: Weights) -> Rollup:
    """The orders' kinds for these weights' window and cap."""
    return Rollup(
        f"attribution {weights.days}d {weights.minutes_cap}min", _parts(weights), "attribution"
    )


async def blended_attribution(weights: Weights) -> list[Credit]:
    """One row per currency."""
    credits: dict[str, list[float]] = {}  # orders, revenue, 3 amounts, 3 order shares
    for total in await totals(rollup(weights)):
        currency, listened, minutes, codes, tapped = total.key.split("|")
        orders, revenue = total.n[0], total.n[1]
        shares = _shares(weights, listened == "1", int(minutes), int(codes), tapped == "1")
        sums = credits.setdefault(currency, [0.0] * 8)
        sums[0] += orders
        sums[1] += revenue
        for i, share in enumerate(shares):
            sums[2 + i] += revenue * share
            sums[5 + i] += orders * share
    return [_credit(currency, sums) for currency, sums in sorted(credits.items())]


def _shares(
    w: Weights, listened: bool, minutes: int, codes: int, tapped: bool
) -> tuple[float, float, float]:
    """An order's (live, DM, organic) shares, which add up to 1."""
    live = w.live + w.per_minute * minutes + w.per_code * codes if listened or codes else 0.0
    dm = w.dm if tapped else 0.0
    whole = live + dm + w.organic
    return live / whole, dm / whole, w.organic / whole


def _credit(currency: str, sums: list[float]) -> Credit:
    orders, revenue, live, dm, organic, live_n, dm_n, organic_n = sums
    return Credit(
        currency, int(orders), int(revenue), round(live), round(dm), round(organic),
        round(live_n, 2), round(dm_n, 2), round(organic_n, 2),
    )  # fmt: skip
