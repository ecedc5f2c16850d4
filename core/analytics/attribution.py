"""Blended attribution: each paid order's amount is split between the live sessions, the
campaign DMs and everything else ("organic") by weights the creator sets. Live engagement
earns more credit the more the fan took part (minutes listened, live codes claimed) within
the window before paying; a DM counts if the fan tapped its link in that window; organic
always has its own weight, so every order is fully credited."""

from __future__ import annotations

from dataclasses import dataclass

from core import sql
from core.analytics.dialect import DELIVERY_OF_LINK, paid_within


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


def _query(w: Weights) -> str:
    window = w.days * 1440
    minutes = f"CASE WHEN a.minutes > {w.minutes_cap} THEN {w.minutes_cap} ELSE a.minutes END"
    listened = (
        f'SELECT p.id AS order_id, SUM({minutes}) AS minutes FROM "attendance" a '
        'JOIN "live_session" s ON s.id = a.session_id '
        f'JOIN "order" p ON {paid_within("p", "a.fan_id", "s.started_at", window)} '
        "GROUP BY p.id"
    )
    codes = (
        'SELECT p.id AS order_id, COUNT(*) AS codes FROM "ledger_entry" l '
        f'JOIN "order" p ON {paid_within("p", "l.fan_id", "l.created_at", window)} '
        "WHERE l.reason = 'live_code' GROUP BY p.id"
    )
    tapped = (
        'SELECT DISTINCT p.id AS order_id FROM "link_click" c JOIN "link" l ON l.id = c.link_id '
        f'JOIN "delivery" x ON x.id = {DELIVERY_OF_LINK} '
        f'JOIN "order" p ON {paid_within("p", "x.fan_id", "c.at", window)} '
        "WHERE l.purpose = 'delivery'"
    )
    live_weight = (
        "CASE WHEN li.order_id IS NULL AND co.order_id IS NULL THEN 0.0 ELSE "
        f"{w.live!r} + {w.per_minute!r} * COALESCE(li.minutes, 0) "
        f"+ {w.per_code!r} * COALESCE(co.codes, 0) END"
    )
    dm_weight = f"CASE WHEN t.order_id IS NULL THEN 0.0 ELSE {w.dm!r} END"
    weighted = (
        f"SELECT p.currency AS currency, p.amount_minor AS amount, {live_weight} AS lw, "
        f"{dm_weight} AS dw, {w.organic!r} AS ow FROM paid p "
        f"LEFT JOIN ({listened}) li ON li.order_id = p.id "
        f"LEFT JOIN ({codes}) co ON co.order_id = p.id "
        f"LEFT JOIN ({tapped}) t ON t.order_id = p.id"
    )
    share = "{0} / (lw + dw + ow)"
    return (
        'WITH paid AS (SELECT id, fan_id, amount_minor, currency, created_at FROM "order" '
        "WHERE status = 'paid') "
        "SELECT currency, COUNT(*) AS orders, SUM(amount) AS revenue, "
        + ", ".join(
            f"SUM(amount * {share.format(col)}) AS {name}, SUM({share.format(col)}) AS {name}_n"
            for name, col in (("live", "lw"), ("dm", "dw"), ("organic", "ow"))
        )
        + f" FROM ({weighted}) x GROUP BY currency ORDER BY currency"
    )


async def blended_attribution(weights: Weights) -> list[Credit]:
    """One row per currency."""
    return [_credit(row) for row in await sql.rows(_query(weights))]


def _credit(row: dict[str, object]) -> Credit:
    def money(name: str) -> int:
        return round(float(str(row[name])))

    def orders(name: str) -> float:
        return round(float(str(row[f"{name}_n"])), 2)

    return Credit(
        str(row["currency"]), int(str(row["orders"])), money("revenue"),
        money("live"), money("dm"), money("organic"),
        orders("live"), orders("dm"), orders("organic"),
    )  # fmt: skip
