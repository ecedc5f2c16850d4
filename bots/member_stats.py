"""The membership figures as `dropcast stats` prints them (and the sandbox after its month
of a membership): core/analytics/members.py and member_value.py say what each counts."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from core.analytics.membership_figures import MemberFigures
from core.money import Money


def print_members(out: Console, found: MemberFigures) -> None:
    if not found.any:
        out.print("No membership yet: dropcast plan create, then fans join with /join.")
        return
    plans = Table("plan", "members", "in a trial", "past due", "cancelling")
    for p in found.plans:
        plans.add_row(
            f"#{p.plan_id} {p.name}", str(p.members), str(p.trialing), str(p.past_due),
            str(p.cancelling),
        )  # fmt: skip
    out.print(plans if found.plans else "No active member now.")
    for m in found.mrr:
        out.print(f"MRR: {Money(m.minor, m.currency)} a month from {m.members} paying members")
    months = Table("month (UTC)", "paying at start", "new", "reactivated", "churned", "churn")
    for month in found.months:
        rate = "-" if month.rate is None else f"{month.rate:.1%}"
        months.add_row(
            month.month if month.over else f"{month.month} so far", str(month.paying_at_start),
            str(month.new), str(month.reactivated), str(month.churned), rate,
        )  # fmt: skip
    out.print(months)
    t = found.trials
    out.print(
        f"Trials: {t.converted} of {t.ended} ended trials became paid ({t.rate:.0%})"
        if t.rate is not None
        else "Trials: none has ended yet."
    )
    drops = Table("currency", "members' orders", "members' revenue", "others' orders",
                  "others' revenue")  # fmt: skip
    for d in found.drops:
        drops.add_row(
            d.currency, f"{d.member_orders} by {d.member_buyers} fans",
            str(Money(d.member_minor, d.currency)), f"{d.other_orders} by {d.other_buyers} fans",
            str(Money(d.other_minor, d.currency)),
        )  # fmt: skip
    if found.drops:
        out.print(drops)
    for v in found.ltv:
        part = (
            f", {Money(v.from_memberships, v.currency)} of it memberships"
            if v.who == "members"
            else ""
        )
        out.print(
            f"90-day LTV, {v.who}: {Money(v.per_fan, v.currency)} per fan ({v.fans} fans{part})"
        )
    for who in ("members", "one-time buyers"):
        if not any(v.who == who for v in found.ltv):
            out.print(f"90-day LTV, {who}: none whose first 90 days are over yet.")
    out.print(
        "Membership payments are estimated from the periods paid at the plans' prices; "
        "a month is a calendar month in UTC."
    )
