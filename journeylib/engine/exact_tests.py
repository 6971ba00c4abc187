"""Fisher's exact test and the Benjamini-Hochberg adjustment, shared by the analyses that
rank many 2 x 2 tables (early patterns of best customers, what goes with finishing a funnel).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import hypergeom
from statsmodels.stats.multitest import multipletests


def fisher_two_sided(k, total, successes, draws) -> np.ndarray:
    """Fisher's exact test, two-sided by doubling the smaller tail (capped at 1), elementwise.

    ``k`` of the ``draws`` units with a feature are successes, among ``total`` units of which
    ``successes`` are successes (the hypergeometric law of ``k`` under independence).
    """
    upper = hypergeom.sf(np.asarray(k) - 1, total, successes, draws)
    lower = hypergeom.cdf(k, total, successes, draws)
    return np.minimum(1.0, 2 * np.minimum(upper, lower))


def bh_adjust(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values); NaN p-values count as 1."""
    p = np.asarray(p, dtype=float)
    if len(p) == 0:
        return p
    return multipletests(np.nan_to_num(p, nan=1.0), method="fdr_bh")[1]
