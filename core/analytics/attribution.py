"""Blended attribution: each paid order's amount is split between the live sessions, the
campaign DMs and everything else ("organic") by weights the creator sets. Live engagement
earns more credit the more the fan took part (minutes listened, live codes claimed) within
the window before paying; a DM counts if the fan tapped its link in that window; organic
always has its own weight, so every order is fully credited."""

from __future__ import annotations

from dataclasses import dataclass

from core import sql
from core.analytics.dialect import minutes_between


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
    since = f"BETWEEN 0 AND {window}"
    minutes = f"CASE WHEN a.minutes > {w.minutes_cap} THEN {w.minutes_cap} ELSE a.minutes END"
    listened = (
        f"SELECT p.id AS order_id, SUM({minutes}) AS minutes FROM paid p "
        'JOIN "attendance" a ON a.fan_id = p.fan_id JOIN "live_session" s ON s.id = a.session_id '
        f"WHERE s.started_at IS NOT NULL AND {minutes_between('s.started_at', 'p.created_at')} "
        f"{since} GROUP BY p.id"
    )
    codes = (
        'SELECT p.id AS order_id, COUNT(*) AS codes FROM paid p JOIN "ledger_entry" l '
        "ON l.fan_id = p.fan_id AND l.reason = 'live_code' "
        f"WHERE {minutes_between('l.created_at', 'p.created_at')} {since} GROUP BY p.id"
    )
    tapped = (
        'SELECT DISTINCT p.id AS order_id FROM paid p JOIN "delivery" x ON x.fan_id = p.fan_id '
        "JOIN \"link\" l ON l.purpose = 'delivery' AND l.ref = CAST(x.id AS VARCHAR(64)) "
        'JOIN "link_click" c ON c.link_id = l.id '
        f"WHERE {minutes_between('c.at', 'p.created_at')} {since}"
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
