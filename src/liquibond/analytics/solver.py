"""Vectorised root finding for decreasing functions: Newton's method inside a bracket."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from liquibond.analytics._dates import Floats, Ints
from liquibond.analytics.errors import NoConvergence

__all__ = ["solve_decreasing"]

Evaluate = Callable[[Floats, Ints], tuple[Floats, Floats]]
"""Given trial points for some items (and those items' indexes), their values and slopes."""


def solve_decreasing(
    evaluate: Evaluate,
    target: Floats,
    guess: Floats,
    lower: Floats,
    upper: Floats,
    *,
    tolerance: float = 1e-12,
    max_iterations: int = 200,
    what: str = "root",
) -> Floats:
    """Solve ``f_i(x_i) = target_i`` for decreasing ``f_i``, each item independently.

    Each iteration takes a Newton step and falls back to bisection whenever the step leaves
    the bracket ``(lower, upper)``, which shrinks around the root with every evaluation.
    Items stop once a step moves them by at most ``tolerance``; converged items are not
    evaluated again, so an item's result does not depend on the other items.
    """
    x, lo, hi = guess.astype(np.float64), lower.astype(np.float64), upper.astype(np.float64)
    active = np.arange(len(x))
    for _ in range(max_iterations):
        if active.size == 0:
            return x
        value, slope = evaluate(x[active], active)
        excess = value - target[active]
        point = x[active]
        above = excess > 0  # f decreasing: the root lies to the right
        lo[active] = np.where(above, point, lo[active])
        hi[active] = np.where(above, hi[active], point)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = point - excess / slope
        inside = np.isfinite(newton) & (newton >= lo[active]) & (newton <= hi[active])
        step = np.where(
            excess == 0, point, np.where(inside, newton, 0.5 * (lo[active] + hi[active]))
        )
        x[active] = step
        done = (np.abs(step - point) <= tolerance) | (excess == 0)
        active = active[~done]
    raise NoConvergence(f"{what} did not converge", index=int(active[0]))
