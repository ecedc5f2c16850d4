"""The dashboard's charts as inline SVG, drawn by pygal on the server: no script and no
network needed to see them. Each has a viewBox and no fixed size, so the page's CSS shrinks it
to the width there is: `SIZE` on a laptop, about 60% of it on a phone, where its lettering,
drawn a little large, still reads."""

from __future__ import annotations

import pygal
from pygal.style import CleanStyle

from core.analytics.attribution import Credit
from core.analytics.buyers import WINDOWS, Cohort
from core.analytics.drops import DropReport
from core.analytics.lag import BUCKET_MINUTES, Lag
from core.analytics.members import MemberMonth
from core.money import minor_digits

SIZE = {"width": 600, "height": 380}
STYLE = CleanStyle(
    title_font_size=20, label_font_size=15, major_label_font_size=15, legend_font_size=16,
)  # fmt: skip


def _svg(chart: pygal.graph.graph.Graph) -> str:
    return str(chart.render(is_unicode=True))


def _config(title: str) -> dict[str, object]:
    return {
        "title": title, "style": STYLE, "js": [], "disable_xml_declaration": True,
        "print_values": False, "legend_at_bottom": True, "max_scale": 8, **SIZE,
    }  # fmt: skip


def lag_histogram(lag: Lag) -> str:
    chart = pygal.Bar(**_config("Paid orders by minutes after going live"), show_legend=False)
    counts = dict(lag.histogram)
    starts = range(0, max(counts, default=0) + 1, BUCKET_MINUTES)  # empty buckets too
    chart.x_labels = [str(start) for start in starts]
    chart.x_title = f"minutes after going live ({BUCKET_MINUTES}-minute buckets)"
    chart.add("orders", [counts.get(start, 0) for start in starts])
    return _svg(chart)


def ltv_curves(cohorts: list[Cohort]) -> str:
    chart = pygal.Line(**_config("Revenue per fan since their first order, by first week"))
    chart.x_labels = [f"{n} days" for n in WINDOWS]
    for cohort in cohorts:
        scale = 10 ** minor_digits(cohort.currency)
        values = [None if v is None else v / scale for v in cohort.per_fan.values()]
        chart.add(f"{cohort.week:%d %b} ({cohort.currency})", values)
    return _svg(chart)


def funnel_bars(drops: list[DropReport]) -> str:
    chart = pygal.Bar(**_config("Each drop's funnel, in fans"))
    chart.x_labels = [f"#{d.id} {d.title}" for d in drops]
    for step in ("reached", "tapped", "held", "paid"):
        chart.add(step, [getattr(d, step) for d in drops])
    return _svg(chart)


def attribution_pie(credit: Credit) -> str:
    chart = pygal.Pie(**_config(f"Revenue credited ({credit.currency})"), inner_radius=0.45)
    for name, minor in (("live", credit.live), ("campaign DMs", credit.dm),
                        ("organic", credit.organic)):  # fmt: skip
        chart.add(name, minor / 10 ** minor_digits(credit.currency))
    return _svg(chart)


def member_months(months: list[MemberMonth]) -> str:
    chart = pygal.Bar(**_config("Members by month (UTC), the last so far"),
                      x_label_rotation=30, truncate_label=-1)  # fmt: skip
    chart.x_labels = [m.month for m in months]
    for name in ("paying_at_start", "new", "reactivated", "churned"):
        chart.add(name.replace("_", " "), [getattr(m, name) for m in months])
    return _svg(chart)
