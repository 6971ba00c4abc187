"""Best vs rest comparisons: one row per metric with a difference, its interval and a p-value.

Conventions (the fitting test for each kind of metric):

- share (a yes/no per customer): difference of proportions with Newcombe's hybrid Wilson
  interval, two-proportion z-test (pooled);
- mean: Welch's t interval and test;
- median (skewed times): percentile bootstrap interval of the difference of medians,
  Mann-Whitney U test;
- pooled ratio (orders of a customer are not independent: average order value, e-mail-driven
  share of purchases): customer-level (cluster) bootstrap interval; p-value from the same
  bootstrap (twice the share of replicates on the other side of zero).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..engine.intervals import wilson

N_BOOT = 2000
_SEED = 20240601


def _row(metric, unit, best, rest, low, high, p, test, n_best, n_rest) -> dict:
    ratio = best / rest if rest not in (0, 0.0) and pd.notna(rest) else np.nan
    return {
        "metric": metric,
        "unit": unit,
        "best": best,
        "rest": rest,
        "difference": best - rest,
        "ratio": ratio,
        "ci_low": low,
        "ci_high": high,
        "p_value": p,
        "test": test,
        "n_best": n_best,
        "n_rest": n_rest,
    }


def share_rows(values: pd.Series, is_best: pd.Series, label: str) -> list[dict]:
    """One share row per level of a categorical ``values`` (NaN rows are left out)."""
    keep = values.notna()
    values, is_best = values[keep], is_best[keep].astype(bool)
    levels = sorted(values.astype(str).unique())
    return [flag_row(values.astype(str) == lv, is_best, f"{label}: {lv}") for lv in levels]


def flag_row(flag: pd.Series, is_best: pd.Series, metric: str) -> dict:
    """Share of customers with ``flag``: best vs rest, Newcombe interval, z-test."""
    flag, is_best = flag.astype(bool).to_numpy(), is_best.astype(bool).to_numpy()
    k1, n1 = int(flag[is_best].sum()), int(is_best.sum())
    k2, n2 = int(flag[~is_best].sum()), int((~is_best).sum())
    if n1 == 0 or n2 == 0:
        return _row(metric, "share", np.nan, np.nan, np.nan, np.nan, np.nan, "z-test", n1, n2)
    p1, p2 = k1 / n1, k2 / n2
    (l1, l2), (u1, u2) = wilson([k1, k2], [n1, n2])
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    pooled = (k1 + k2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p = 2 * stats.norm.sf(abs(d) / se) if se > 0 else (1.0 if d == 0 else 0.0)
    return _row(metric, "share", p1, p2, low, high, p, "two-proportion z-test", n1, n2)


def mean_row(values: pd.Series, is_best: pd.Series, metric: str, unit: str) -> dict:
    """Mean best vs rest with Welch's interval and t-test."""
    a, b = _split(values, is_best)
    if len(a) < 2 or len(b) < 2:
        return _row(metric, unit, _mean(a), _mean(b), np.nan, np.nan, np.nan, "Welch t", *_ns(a, b))
    res = stats.ttest_ind(a, b, equal_var=False)
    if np.isnan(res.statistic):
        low = high = a.mean() - b.mean()
        p = 1.0
    else:
        ci = res.confidence_interval(0.95)
        low, high, p = ci.low, ci.high, res.pvalue
    return _row(metric, unit, a.mean(), b.mean(), low, high, p, "Welch t-test", *_ns(a, b))


def median_row(values: pd.Series, is_best: pd.Series, metric: str, unit: str) -> dict:
    """Median best vs rest with a bootstrap interval and the Mann-Whitney U test."""
    a, b = _split(values, is_best)
    if len(a) < 2 or len(b) < 2:
        return _row(metric, unit, _median(a), _median(b), np.nan, np.nan, np.nan, "", *_ns(a, b))
    rng = np.random.default_rng(_SEED)
    da = np.median(rng.choice(a, (N_BOOT, len(a))), axis=1)
    db = np.median(rng.choice(b, (N_BOOT, len(b))), axis=1)
    low, high = np.percentile(da - db, [2.5, 97.5])
    p = stats.mannwhitneyu(a, b, alternative="two-sided").pvalue
    test = "bootstrap CI, Mann-Whitney U"
    return _row(metric, unit, np.median(a), np.median(b), low, high, p, test, *_ns(a, b))


def ratio_row(num: pd.Series, den: pd.Series, is_best: pd.Series, metric: str, unit: str) -> dict:
    """Pooled ratio sum(num) / sum(den) best vs rest, customer-level bootstrap."""
    keep = den.notna() & num.notna() & (den > 0)
    num, den, is_best = num[keep], den[keep], is_best[keep].astype(bool)
    groups = [(num[is_best].to_numpy(float), den[is_best].to_numpy(float)),
              (num[~is_best].to_numpy(float), den[~is_best].to_numpy(float))]  # fmt: skip
    n1, n2 = len(groups[0][0]), len(groups[1][0])
    if n1 < 2 or n2 < 2:
        est = [g[0].sum() / g[1].sum() if len(g[0]) else np.nan for g in groups]
        return _row(metric, unit, est[0], est[1], np.nan, np.nan, np.nan, "", n1, n2)
    rng = np.random.default_rng(_SEED)
    boots = []
    for x, w in groups:
        idx = rng.integers(0, len(x), (N_BOOT, len(x)))
        boots.append(x[idx].sum(axis=1) / w[idx].sum(axis=1))
    diff = boots[0] - boots[1]
    low, high = np.percentile(diff, [2.5, 97.5])
    p = min(1.0, 2 * min((diff <= 0).mean(), (diff >= 0).mean()))
    p = max(p, 1 / N_BOOT)
    best = groups[0][0].sum() / groups[0][1].sum()
    rest = groups[1][0].sum() / groups[1][1].sum()
    return _row(metric, unit, best, rest, low, high, p, "cluster bootstrap", n1, n2)


def _split(values: pd.Series, is_best: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    keep = values.notna()
    v, f = values[keep].to_numpy(float), is_best[keep].astype(bool).to_numpy()
    return v[f], v[~f]


def _ns(a: np.ndarray, b: np.ndarray) -> tuple[int, int]:
    return len(a), len(b)


def _mean(a: np.ndarray) -> float:
    return float(a.mean()) if len(a) else np.nan


def _median(a: np.ndarray) -> float:
    return float(np.median(a)) if len(a) else np.nan
