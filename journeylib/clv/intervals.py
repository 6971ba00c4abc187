"""Intervals for the CLV models from their likelihood: parameters, mean CLV and P(alive).

The purchase model and Gamma-Gamma are fitted by maximum likelihood on the log of each
parameter. Near the optimum the total log-likelihood is close to a quadratic in the
log-parameters; minus the inverse of its curvature (the Hessian, by central differences) is
their covariance (:func:`log_scale_covariance`), and a 95 % interval is
``exp(log estimate +- 1.96 se)`` (:func:`parameter_intervals`). Quantities made of the
parameters get theirs by the delta method: the mean purchase rate r/alpha and the mean order
value p v / (q - 1) on the log scale, the mean dropout a/(a+b) on the logit scale. The mean CLV
and the mean P(alive) of a group of buyers are carried the same way, through the derivatives
of every buyer's CLV and P(alive) in the log-parameters (:func:`value_intervals`): a mean over
any group (all buyers, one channel) costs no refit.

What the value intervals cover: the model's expected CLV (and P(alive)) of *these* buyers given
their purchase histories, as the true parameters would give it; the uncertainty is that of the
estimated parameters. ``benchmarks/clv_coverage.py`` measures how often the intervals contain
the truth on synthetic shops with planted parameters: docs/clv_intervals.md.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit
from scipy.stats import norm

from .likelihood import (
    PURCHASE_COLUMNS,
    STEP,
    covariance,
    log_likelihood_function,
    log_scale_covariance,
    model_key,
)
from .value import clv_table

__all__ = [
    "LEVEL",
    "ClvIntervals",
    "clv_intervals",
    "log_likelihood_function",
    "log_scale_covariance",
    "parameter_intervals",
    "value_intervals",
    "with_parameters",
]

LEVEL = 0.95
#: Per-buyer quantities of :func:`journeylib.clv.value.clv_table` carried to intervals, and the
#: scale their mean's interval is built on.
VALUES = {"clv": "log", "p_alive": "logit", "expected_orders": "log"}


@dataclass(frozen=True)
class ClvIntervals:
    """Likelihood intervals of the CLV models (see :func:`clv_intervals`).

    Attributes
    ----------
    parameters
        One row per ``model`` and ``parameter`` (the model's own, then ``purchase_rate``
        r/alpha, ``mean_dropout`` a/(a+b), ``mean_order_value`` p v/(q-1) where they apply):
        ``estimate``, ``lower``, ``upper``, ``scale`` (``"log"`` or ``"logit"``: where the
        interval is symmetric), ``se`` (standard error on that scale).
    values
        ``quantity`` (``mean_clv``, ``mean_p_alive``, ``mean_expected_orders``: means over all
        buyers), ``estimate``, ``lower``, ``upper``, ``scale``, ``se``.
    segments
        ``by``, ``segment``, ``mean_clv``, ``lower``, ``upper``: the mean CLV per buyer of each
        segment with its interval (empty without segments).
    level
        Coverage asked for (0.95).
    """

    parameters: pd.DataFrame
    values: pd.DataFrame
    segments: pd.DataFrame
    level: float = LEVEL


# ----------------------------------------------------------------------------- parameters
def _row(name: str, estimate: float, grad: np.ndarray, cov: np.ndarray, scale: str, z: float):
    """Delta-method interval of ``estimate`` on ``scale`` with gradient ``grad`` there."""
    se = float(np.sqrt(grad @ cov @ grad))
    if scale == "logit":
        centre = logit(estimate)
        lower, upper = expit(centre - z * se), expit(centre + z * se)
    else:
        centre = np.log(estimate)
        lower, upper = np.exp(centre - z * se), np.exp(centre + z * se)
    return (name, float(estimate), float(lower), float(upper), scale, se)


def _derived(params: pd.Series) -> list[tuple[str, float, np.ndarray, str]]:
    """Quantities made of the parameters: name, value, gradient on their scale, scale."""
    names, x = list(params.index), params.to_numpy(dtype=float)
    out = []

    def unit(*pairs: tuple[str, float]) -> np.ndarray:
        g = np.zeros(len(names))
        for name, value in pairs:
            g[names.index(name)] = value
        return g

    if {"r", "alpha"} <= set(names):  # log(r / alpha) = log r - log alpha
        out.append(("purchase_rate", x[0] / x[1], unit(("r", 1), ("alpha", -1)), "log"))
    if {"a", "b"} <= set(names):  # logit(a / (a + b)) = log a - log b
        a, b = params["a"], params["b"]
        out.append(("mean_dropout", a / (a + b), unit(("a", 1), ("b", -1)), "logit"))
    if {"p", "q", "v"} <= set(names) and params["q"] > 1:  # log p + log v - log(q - 1)
        p, q, v = params["p"], params["q"], params["v"]
        grad = unit(("p", 1), ("q", -q / (q - 1)), ("v", 1))
        out.append(("mean_order_value", p * v / (q - 1), grad, "log"))
    return out


def parameter_intervals(fitted: Any, *, level: float = LEVEL) -> pd.DataFrame:
    """Likelihood intervals of a fitted model's parameters and of the quantities made of them.

    Parameters
    ----------
    fitted
        A model from :func:`journeylib.clv.fit` (BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma).
    level
        Coverage asked for.

    Returns
    -------
    pandas.DataFrame
        ``model``, ``parameter``, ``estimate``, ``lower``, ``upper``, ``scale``, ``se``: the
        model's parameters (log scale), then ``purchase_rate``, ``mean_dropout`` (logit scale)
        and ``mean_order_value`` where the model has them. NaN bounds when the likelihood is
        flat at the optimum.
    """
    z = norm.ppf(0.5 + level / 2)
    cov = covariance(fitted)
    params = fitted.params_.astype(float)
    k = len(params)
    rows = [
        _row(str(name), params.iloc[i], np.eye(k)[i], cov, "log", z)
        for i, name in enumerate(params.index)
    ]
    rows += [_row(n, est, g, cov, scale, z) for n, est, g, scale in _derived(params)]
    out = pd.DataFrame(rows, columns=["parameter", "estimate", "lower", "upper", "scale", "se"])
    out.insert(0, "model", model_key(fitted))
    return out


# ----------------------------------------------------------------------------- values
def with_parameters(fitted: Any, params: Any) -> Any:
    """A copy of a fitted lifetimes model that predicts with other parameters.

    Parameters
    ----------
    fitted
        A fitted lifetimes model.
    params
        New values in the order of ``fitted.params_`` (or a mapping by name).

    Returns
    -------
    lifetimes fitter
        A shallow copy whose ``params_`` are ``params``; ``fitted`` is not changed.
    """
    out = copy.copy(fitted)
    index = fitted.params_.index
    if isinstance(params, dict | pd.Series):
        values = [float(params[name]) for name in index]
    else:
        values = np.asarray(params, dtype=float).tolist()
    out.params_ = pd.Series(values, index=index, dtype=float)
    return out


def _per_buyer(purchases: Any, spend: Any, summary: pd.DataFrame, opts: dict) -> pd.DataFrame:
    if spend is not None:
        return clv_table(purchases, spend, summary, **opts)[list(VALUES)]
    f, r, t = (summary[c].to_numpy(dtype=float) for c in PURCHASE_COLUMNS)
    alive = np.asarray(purchases.conditional_probability_alive(f, r, t), dtype=float)
    months = opts["horizon_months"] * opts.get("units_per_month", 365.25 / 12 / 7)
    orders = purchases.conditional_expected_number_of_purchases_up_to_time(months, f, r, t)
    frame = {"p_alive": alive, "expected_orders": np.asarray(orders, dtype=float)}
    return pd.DataFrame(frame, index=summary.index)


def _jacobian(
    purchases: Any, spend: Any, summary: pd.DataFrame, opts: dict
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Per-buyer values and their derivatives in the log-parameters (n x k per value)."""
    base = _per_buyer(purchases, spend, summary, opts)
    models = [purchases] + ([spend] if spend is not None else [])
    columns: dict[str, list[np.ndarray]] = {name: [] for name in base.columns}
    for which, fitted in enumerate(models):
        x = np.log(fitted.params_.to_numpy(dtype=float))
        for i in range(x.size):
            step = np.eye(x.size)[i] * STEP
            moved = []
            for sign in (1, -1):
                m = with_parameters(fitted, np.exp(x + sign * step))
                pair = (m, spend) if which == 0 else (purchases, m)
                moved.append(_per_buyer(*pair, summary, opts))
            for name in base.columns:
                diff = moved[0][name].to_numpy() - moved[1][name].to_numpy()
                columns[name].append(diff / (2 * STEP))
    return base, {name: np.column_stack(cols) for name, cols in columns.items()}


def _mean_rows(
    codes: np.ndarray, n_groups: int, value: np.ndarray, jac: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Group means of ``value`` and of each column of ``jac`` (the mean's gradient)."""
    n = np.bincount(codes, minlength=n_groups).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(codes, weights=value, minlength=n_groups) / n
        grads = np.column_stack(
            [np.bincount(codes, weights=col, minlength=n_groups) / n for col in jac.T]
        )
    return mean, grads


def _interval_of_mean(mean: float, grad: np.ndarray, cov: np.ndarray, scale: str, z: float):
    """Delta-method interval of a positive mean (log) or a share (logit)."""
    on_scale = grad / mean if scale == "log" else grad / (mean * (1 - mean))
    return _row("", mean, on_scale, cov, scale, z)[1:]


def value_intervals(
    purchases: Any,
    spend: Any,
    summary: pd.DataFrame,
    *,
    segments: pd.DataFrame | None = None,
    by: tuple[str, ...] = (),
    horizon_months: int = 12,
    discount_rate: float = 0.01,
    level: float = LEVEL,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Intervals of the mean CLV, P(alive) and expected orders per buyer, overall and by segment.

    Parameters
    ----------
    purchases, spend
        Fitted purchase model and Gamma-Gamma (``spend=None``: no money, no CLV rows).
    summary
        The RFM summary the values are computed on (one row per buyer).
    segments, by
        A frame indexed by buyer with the ``by`` columns (e.g. from
        :func:`journeylib.clv.value.customer_segments`).
    horizon_months, discount_rate, level
        As :func:`journeylib.clv.value.clv_table`; coverage asked for.

    Returns
    -------
    (values, segments) : tuple of pandas.DataFrame
        ``values``: ``quantity`` (``mean_clv``, ``mean_p_alive``, ``mean_expected_orders``),
        ``estimate``, ``lower``, ``upper``, ``scale``, ``se``. ``segments``: ``by``,
        ``segment``, ``mean_clv``, ``lower``, ``upper`` (empty without segments or money).

    Notes
    -----
    The purchase model and Gamma-Gamma are fitted on separate likelihoods, so their
    log-parameters are taken as independent (a block-diagonal covariance).
    """
    z = norm.ppf(0.5 + level / 2)
    opts = {"horizon_months": horizon_months, "discount_rate": discount_rate}
    base, jac = _jacobian(purchases, spend, summary, opts)
    blocks = [covariance(purchases)] + ([covariance(spend)] if spend is not None else [])
    cov = _block_diagonal(blocks)
    rows = []
    for name, scale in VALUES.items():
        if name not in base:
            continue
        value = base[name].to_numpy(dtype=float)
        mean, grad = _mean_rows(np.zeros(len(value), dtype=int), 1, value, jac[name])
        rows.append((f"mean_{name}", *_interval_of_mean(mean[0], grad[0], cov, scale, z)))
    values = pd.DataFrame(rows, columns=["quantity", "estimate", "lower", "upper", "scale", "se"])
    seg_rows = []
    if segments is not None and "clv" in base:
        clv, seg = base["clv"].to_numpy(dtype=float), summary[[]].join(segments[list(by)])
        for col in by:
            codes, labels = pd.factorize(seg[col].fillna("(none)"))
            means, grads = _mean_rows(codes, len(labels), clv, jac["clv"])
            for label, m, g in zip(labels, means, grads, strict=True):
                _, lower, upper, _, _ = _interval_of_mean(m, g, cov, "log", z)
                seg_rows.append((col, label, m, lower, upper))
    seg_df = pd.DataFrame(seg_rows, columns=["by", "segment", "mean_clv", "lower", "upper"])
    return values, seg_df


def _block_diagonal(blocks: list[np.ndarray]) -> np.ndarray:
    k = sum(b.shape[0] for b in blocks)
    out, at = np.zeros((k, k)), 0
    for b in blocks:
        out[at : at + b.shape[0], at : at + b.shape[0]] = b
        at += b.shape[0]
    return out


# ----------------------------------------------------------------------------- one call
def clv_intervals(
    purchases: Any,
    spend: Any,
    summary: pd.DataFrame,
    *,
    segments: pd.DataFrame | None = None,
    by: tuple[str, ...] = (),
    horizon_months: int = 12,
    discount_rate: float = 0.01,
    level: float = LEVEL,
) -> ClvIntervals:
    """Likelihood intervals of the parameters, the mean CLV per buyer and the mean P(alive).

    Parameters
    ----------
    purchases, spend
        Fitted purchase model (BG/NBD, MBG/NBD or Pareto/NBD) and Gamma-Gamma, from
        :func:`journeylib.clv.fit` (``spend=None`` when the log has no money).
    summary
        The RFM summary of the buyers valued (the one the models were fitted on).
    segments, by, horizon_months, discount_rate, level
        As :func:`value_intervals`.

    Returns
    -------
    ClvIntervals
        ``parameters``, ``values``, ``segments`` and ``level``.

    Examples
    --------
    >>> iv = clv_intervals(purchases, spend, summary)  # doctest: +SKIP
    >>> iv.values.set_index("quantity").loc["mean_clv", ["lower", "upper"]]  # doctest: +SKIP
    """
    tables = [parameter_intervals(m, level=level) for m in (purchases, spend) if m is not None]
    values, seg = value_intervals(
        purchases,
        spend,
        summary,
        segments=segments,
        by=by,
        horizon_months=horizon_months,
        discount_rate=discount_rate,
        level=level,
    )
    return ClvIntervals(pd.concat(tables, ignore_index=True), values, seg, level)
