"""A/B verdicts: each variant's conversion with a 95% interval (Wilson), a two-proportion
z-test between the best two, and what to tell the creator, in words. statsmodels does the
statistics."""

from __future__ import annotations

import math
from dataclasses import dataclass

CONFIDENCE = 0.95
POWER = 0.8


@dataclass(frozen=True, slots=True)
class Arm:
    label: str
    fans: int  # who got it
    converted: int  # of them, who bought

    @property
    def rate(self) -> float:
        return self.converted / self.fans if self.fans else 0.0

    def interval(self) -> tuple[float, float]:
        if not self.fans:
            return (0.0, 1.0)
        from statsmodels.stats.proportion import proportion_confint  # slow to import: on use

        low, high = proportion_confint(self.converted, self.fans, 1 - CONFIDENCE, "wilson")
        return (float(low), float(high))


@dataclass(frozen=True, slots=True)
class Verdict:
    arms: list[Arm]
    p_value: float | None
    winner: str | None
    more_fans_needed: int | None  # per variant, to tell the observed difference apart

    @property
    def words(self) -> str:
        if self.winner is not None:
            others = ", ".join(a.label for a in self.arms if a.label != self.winner)
            return f"{self.winner} converts better than {others}, {CONFIDENCE:.0%} confident."
        if self.p_value is None:  # nothing tested yet: too early to say they convert alike
            if not any(a.converted for a in self.arms):
                return "Not enough data yet: no one has bought after any variant."
            return "Not enough data yet: a variant has reached no fan."
        if self.more_fans_needed is None:
            return "No difference to tell apart: the variants convert alike so far."
        return f"Not enough data yet: about {self.more_fans_needed} more fans per variant needed."


def verdict(arms: list[Arm]) -> Verdict:
    """Compares the two best-converting variants (with more, the rest are shown alongside)."""
    ranked = sorted(arms, key=lambda arm: arm.rate, reverse=True)
    if len(ranked) < 2 or min(a.fans for a in ranked[:2]) == 0:
        return Verdict(arms, None, None, None)
    best, second = ranked[:2]
    if best.converted + second.converted == 0:
        return Verdict(arms, None, None, None)
    # statsmodels (scipy, pandas) takes a second to import: every CLI command would pay it
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize, proportions_ztest

    _, p_value = proportions_ztest([best.converted, second.converted], [best.fans, second.fans])
    p = float(p_value)
    if p < 1 - CONFIDENCE and best.rate > second.rate:
        return Verdict(arms, p, best.label, None)
    if best.rate == second.rate:
        return Verdict(arms, p, None, None)
    effect = abs(float(proportion_effectsize(best.rate, second.rate)))
    needed = NormalIndPower().solve_power(effect, alpha=1 - CONFIDENCE, power=POWER, ratio=1.0)
    more = max(0, math.ceil(float(needed)) - min(best.fans, second.fans))
    return Verdict(arms, p, None, more)
