"""Confidence intervals of proportions shared by the analyses."""

from __future__ import annotations

from typing import Any

import numpy as np
from statsmodels.stats.proportion import proportion_confint


def wilson(count: Any, nobs: Any, *, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval of ``count / nobs``, elementwise; NaN where ``nobs`` is 0.

    statsmodels' bounds can miss the estimate by a rounding error (the upper bound of 20 of
    20 is 0.9999999999999999): they are clipped so that ``low <= count / nobs <= high``
    always holds, and error bars drawn from them are never negative.
    """
    k = np.asarray(count, dtype=float)
    n = np.asarray(nobs, dtype=float)
    safe = np.where(n > 0, n, 1.0)
    k = np.where(n > 0, k, 0.0)  # no observations: any count, masked below
    low, high = proportion_confint(k, safe, alpha=alpha, method="wilson")
    p = k / safe
    low = np.minimum(np.asarray(low, dtype=float), p)
    high = np.maximum(np.asarray(high, dtype=float), p)
    return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)
