"""Customer lifetime value: the RFM summary computed in the engine, and the lifetimes models.

Answers docs/domain.md's "how often do they buy ... CLV?" and "what is their expected customer
lifecycle, and how many orders do they make in it?". :func:`rfm_summary` turns purchases
(an event log or a transaction table) into one row per customer (frequency, recency, T,
monetary value) with ibis on DuckDB; :func:`fit` fits a lifetimes model to it and says when the
fit is not to be trusted. Holdout validation lives in :mod:`~journeylib.clv.validation`, CLV
and its intervals in :mod:`~journeylib.clv.value`. lifetimes is imported lazily, through
:mod:`journeylib.clv._lifetimes` only.
"""

from __future__ import annotations

import io
import warnings
from contextlib import redirect_stdout
from typing import Any

import numpy as np
import pandas as pd

from ..engine.cleaning import NotComputable
from ..engine.eventlog import EventLog
from .summary import (
    bounded_period,
    customer_rows,
    net_returns,
    period_of,
    summary_period,
    transaction_table,
    with_holdout,
)

__all__ = ["MODELS", "ClvFitError", "ClvFitWarning", "fit", "rfm_summary"]

#: journeylib model name -> lifetimes fitter class.
MODELS = {
    "bgnbd": "BetaGeoFitter",
    "pareto_nbd": "ParetoNBDFitter",
    "mbgnbd": "ModifiedBetaGeoFitter",
    "gamma_gamma": "GammaGammaFitter",
}
PURCHASE_MODELS = ("bgnbd", "pareto_nbd", "mbgnbd")
_RETURNS = ("net", "drop")
#: A parameter below or above these is at the edge of the parameter space (lifetimes
#: optimises logs, so "at a bound" means driven towards 0 or infinity).
PARAMETER_EDGE = (1e-5, 1e6)


class ClvFitError(NotComputable, RuntimeError):
    """A model that cannot be fitted on this log: no buyers, no repeat buyers with a positive
    spend, or an optimiser that does not converge (too few customers, say)."""


class ClvFitWarning(UserWarning):
    """A fitted CLV model that should not be trusted as it is (bound, penalizer, correlation)."""


# ----------------------------------------------------------------------------- rfm summary
def rfm_summary(
    transactions: EventLog | pd.DataFrame,
    *,
    customer: str = "user_id",
    time: str = "event_time",
    value: str | None = None,
    freq: str = "W",
    observation_end: Any = None,
    calibration_end: Any = None,
    freq_multiplier: float = 1.0,
    returns: str = "net",
) -> pd.DataFrame:
    """Frequency, recency, T (and monetary value) per customer, computed in the engine.

    Parameters
    ----------
    transactions
        An :class:`EventLog` (or a DataFrame with an ``event`` column, read as one): its
        ``purchase`` events are the transactions and its ``refund`` events the returns. Any
        other DataFrame is a transaction table: one row per transaction, returns being rows
        with a negative ``value``.
    customer, time, value
        Columns of the customer, the transaction time and the transaction value (no value:
        no monetary columns). For an event log: ``user_id``, ``event_time``, ``revenue``.
    freq
        Time unit: ``"D"``, ``"W"`` (weeks starting Monday), ``"h"`` or ``"M"`` (calendar
        months, which lifetimes cannot do on pandas >= 2.2).
    observation_end
        End of the observation (default: the last time in the input).
    calibration_end
        When given, the summary describes the calibration period (time <= calibration_end)
        and holdout columns count what came after it, up to ``observation_end``.
    freq_multiplier
        Divide durations by this (``freq="D", freq_multiplier=7``: weeks measured in days).
    returns
        ``"net"``: a return linked to its order (same ``order_id``) reduces that order's
        value; the order still counts as a transaction. ``"drop"``: an order refunded in full
        is not a transaction at all. Returns without an order id are excluded. Either way a
        return counts only once it has happened (by the calibration end for calibration
        orders), and every count is in ``summary.attrs["returns"]``.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer (the ``customer`` column's name), sorted: ``frequency`` (periods
        with a purchase after the first one), ``recency`` (first to last purchase period),
        ``T`` (first purchase period to the observation end's period), ``monetary_value``
        (mean value of the repeat periods, 0 without repeats) when ``value`` is given; with
        ``calibration_end`` also ``frequency_holdout``, ``monetary_value_holdout`` and
        ``duration_holdout``. Floats.

    Notes
    -----
    Conventions are those of ``lifetimes.utils.summary_data_from_transaction_data`` (and
    ``calibration_and_holdout_data``, whose ``_cal`` columns are named without suffix here):
    times are truncated to their period, several transactions in one period are one
    transaction (values summed), the observation end's whole period is included. One
    deliberate difference: ``monetary_value_holdout`` is the mean per-period value, like the
    calibration ``monetary_value`` (lifetimes averages raw rows there).
    """
    if returns not in _RETURNS:
        raise ValueError(f"returns must be one of {_RETURNS}, got {returns!r}")
    t, con, name, last = transaction_table(transactions, customer, time, value)
    obs = bounded_period(observation_end, con.execute(last), t)
    cal = bounded_period(calibration_end, obs, t) if calibration_end is not None else None
    purchases, counts = net_returns(t, con, cal if cal is not None else obs, obs, returns)
    p_obs, p_cal = period_of(obs, freq), None if cal is None else period_of(cal, freq)
    purchases = purchases.mutate(_p=summary_period(purchases._t, freq))
    counts["after observation end (excluded)"] = int(
        con.execute(purchases.filter(purchases._p > p_obs).count())
    )
    inside = purchases._t <= cal if cal is not None else purchases._p <= p_obs
    expr = customer_rows(purchases.filter(inside), p_cal if cal is not None else p_obs)
    if cal is not None:
        expr = with_holdout(expr, purchases.filter((purchases._t > cal) & (purchases._p <= p_obs)))
    out = con.execute(expr).set_index("_c").sort_index()
    out.index.name = name
    for col in ("recency", "T"):
        out[col] = out[col] / freq_multiplier
    if cal is not None:
        out["duration_holdout"] = (p_obs - p_cal) / freq_multiplier
    if value is None and "monetary_value" in out:
        out = out.drop(columns=[c for c in out.columns if c.startswith("monetary_value")])
    out = out.astype(float)
    out.attrs["returns"] = counts
    return out


# ----------------------------------------------------------------------------- fitting
def fit(summary: pd.DataFrame, *, model: str = "bgnbd", penalizer: float = 0.0) -> Any:
    """Fit a lifetimes model to an RFM summary, checking that the fit can be trusted.

    Parameters
    ----------
    summary
        From :func:`rfm_summary`: ``frequency``, ``recency``, ``T`` (and ``monetary_value``
        for Gamma-Gamma).
    model
        ``"bgnbd"`` (BG/NBD), ``"pareto_nbd"`` (Pareto/NBD), ``"mbgnbd"`` (MBG/NBD) for
        purchases; ``"gamma_gamma"`` for spend, fitted on repeat buyers with a positive
        ``monetary_value`` only.
    penalizer
        lifetimes' ``penalizer_coef`` (L2 on the parameters). When it is not 0 the model is
        refitted without it and the shift it causes is reported.

    Returns
    -------
    lifetimes fitter
        ``params_`` as lifetimes names them (r, alpha, a, b / r, alpha, s, beta / p, q, v),
        plus ``diagnostics_`` (dict): ``model``, ``customers`` (fitted on), ``converged``,
        ``log_likelihood`` (total, penalty excluded, on the summary's time unit),
        ``n_params``, ``aic``, ``bic``, ``at_bound`` (parameters at the edge of the
        parameter space), ``penalizer``, ``penalizer_shift`` (largest relative change of a
        parameter caused by the penalizer), ``warnings``; for Gamma-Gamma also
        ``frequency_value_corr`` (Pearson correlation of frequency and monetary value among
        repeat buyers: the model assumes it is about 0) and ``excluded`` (customers left out).

    Warns
    -----
    ClvFitWarning
        At a bound, when the penalizer moves a parameter by more than 1 %, or when
        ``|frequency_value_corr| > 0.3``.

    Raises
    ------
    ClvFitError (a RuntimeError and a NotComputable)
        When there is nothing to fit on or the optimiser does not converge.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {tuple(MODELS)}, got {model!r}")
    data, excluded = model_input(summary, model)
    if data.empty:
        who = "repeat buyers with a positive spend" if model == "gamma_gamma" else "buyers"
        raise ClvFitError(f"{model}: no {who} to fit on ({len(summary)} customers with purchases)")
    from . import _lifetimes

    # lifetimes' likelihoods call warnings.simplefilter themselves: keep the caller's filters
    with _lifetimes.preserved_warnings():
        fitted = fit_weighted(data, model=model, penalizer=penalizer)
        diag = _diagnose(fitted, model, data, penalizer)
    diag["excluded"] = excluded
    if model == "gamma_gamma":
        corr = float(np.corrcoef(data["frequency"], data["monetary_value"])[0, 1])
        diag["frequency_value_corr"] = corr
        if abs(corr) > 0.3:
            diag["warnings"].append(
                f"frequency and monetary value correlate ({corr:.2f}): Gamma-Gamma assumes "
                "they are independent"
            )
    fitted.diagnostics_ = diag
    for message in diag["warnings"]:
        warnings.warn(f"{model}: {message}", ClvFitWarning, stacklevel=2)
    return fitted


def model_input(summary: pd.DataFrame, model: str) -> tuple[pd.DataFrame, int]:
    """The rows a model is fitted on, and how many customers were left out."""
    if model != "gamma_gamma":
        return summary[["frequency", "recency", "T"]], 0
    keep = (summary["frequency"] > 0) & (summary["monetary_value"] > 0)
    return summary.loc[keep, ["frequency", "monetary_value"]], int((~keep).sum())


def fit_weighted(
    data: pd.DataFrame,
    *,
    model: str,
    penalizer: float = 0.0,
    weights: np.ndarray | None = None,
) -> Any:
    """Fit on distinct rows of ``data`` with counts as weights (same optimum, much faster).

    ``weights`` (one per row of ``data``, e.g. bootstrap counts) multiply the rows. Raises
    RuntimeError when the optimiser does not converge.
    """
    from . import _lifetimes

    lifetimes = _lifetimes.import_lifetimes()
    cols = list(data.columns)
    w = np.ones(len(data)) if weights is None else np.asarray(weights, dtype=float)
    grouped = data.assign(_w=w)[w > 0].groupby(cols, sort=False, as_index=False)["_w"].sum()
    fitter = getattr(lifetimes, MODELS[model])(penalizer_coef=penalizer)
    printed = io.StringIO()
    args = [grouped[c].to_numpy() for c in cols]
    kwargs: dict[str, Any] = {"weights": grouped["_w"].to_numpy()}
    if model == "pareto_nbd":
        kwargs["initial_params"] = np.ones(4)  # lifetimes' default start is random
        kwargs["maxiter"] = 1000  # Nelder-Mead; a well-posed fit needs a few hundred
    try:
        with (
            _lifetimes.preserved_warnings(),
            redirect_stdout(printed),
        ):  # lifetimes prints
            warnings.filterwarnings("ignore", category=RuntimeWarning, module="lifetimes")
            try:
                fitted = _lifetimes.fit(fitter, *args, **kwargs)
            except Exception:
                if model != "gamma_gamma":
                    raise
                fitted = _gamma_gamma_at_optimum(fitter, *args, **kwargs)
    except Exception as err:  # lifetimes.utils.ConvergenceError and scipy failures
        detail = printed.getvalue().strip().splitlines()[:1]
        why = " ".join(f"{err} {detail}".split())  # lifetimes' messages span lines
        raise ClvFitError(f"{model} did not converge: {why}") from err
    fitted.data_weights_ = grouped
    return fitted


#: Largest gradient (mean negative log-likelihood, log parameters) of a Gamma-Gamma optimum.
GRADIENT_TOL = 1e-4


def _gamma_gamma_at_optimum(
    fitter: Any, frequency: np.ndarray, value: np.ndarray, *, weights: np.ndarray
) -> Any:
    """Gamma-Gamma fitted where lifetimes' BFGS stopped for lack of float precision.

    lifetimes asks BFGS for a gradient below 1e-7 and raises when the line search can no
    longer improve the likelihood in float arithmetic ("precision loss"), which can happen at
    the optimum itself: the order of a sum (distinct rows with counts, as here, against one
    row per customer) decides it. The same optimisation is run again; where it stopped, the
    gradient must be flat (below :data:`GRADIENT_TOL`) and every parameter inside
    :data:`PARAMETER_EDGE` (not running off to infinity). lifetimes then fits from that point
    with its gradient tolerance set to the gradient there, so the fitter is lifetimes' own
    (standard errors, Hessian) at the optimum; otherwise the error stands.
    """
    from autograd import value_and_grad
    from scipy.optimize import minimize

    from . import _lifetimes

    nll = type(fitter)._negative_log_likelihood
    penalizer = fitter.penalizer_coef
    args = (np.asarray(frequency, float), np.asarray(value, float), weights, penalizer)
    out = minimize(value_and_grad(nll), jac=True, x0=0.1 * np.ones(3), args=args, tol=1e-7)
    gradient = float(np.max(np.abs(out.jac)))
    low, high = PARAMETER_EDGE
    params = np.exp(out.x)
    inside = bool(np.all((params > low) & (params < high)))
    if not (np.isfinite(out.fun) and gradient < GRADIENT_TOL and inside):
        raise ClvFitError(f"no flat optimum where the optimiser stopped (gradient {gradient:.2g})")
    tol = max(gradient * 1.01, 1e-7)
    return _lifetimes.fit(fitter, frequency, value, weights=weights, initial_params=out.x, tol=tol)


def log_likelihood(fitted: Any, model: str, data: pd.DataFrame | None = None) -> float:
    """Total log-likelihood of ``data`` (default: the fitted rows) under ``fitted.params_``."""
    grouped = fitted.data_weights_ if data is None else data.assign(_w=1.0)
    w = grouped["_w"].to_numpy(dtype=float)
    cols = (
        ["frequency", "monetary_value"] if model == "gamma_gamma" else ["frequency", "recency", "T"]
    )
    args = [grouped[c].to_numpy(dtype=float) for c in cols]
    params = fitted.params_.to_numpy()
    if model == "pareto_nbd":
        nll = type(fitted)._negative_log_likelihood(params, *args, w, 0.0)
        return float(-nll * w.mean())
    nll = type(fitted)._negative_log_likelihood(np.log(params), *args, w, 0.0)
    return float(-nll * w.sum())


def _converged_at(fitted: Any, model: str) -> bool:
    """Whether the log-likelihood is flat at the optimum (lifetimes never checks Pareto/NBD).

    BG/NBD, MBG/NBD and Gamma-Gamma use a gradient method and lifetimes raises when it fails;
    Pareto/NBD uses Nelder-Mead without a check, so the gradient of the mean negative
    log-likelihood in log-parameters is taken by central differences and must be < 1e-3.
    """
    if model != "pareto_nbd":
        return True
    grouped = fitted.data_weights_
    args = [grouped[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T", "_w")]
    nll, base = type(fitted)._negative_log_likelihood, fitted.params_.to_numpy()
    step, total = 1e-4, args[3].sum()
    grad = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for i in range(len(base)):  # four parameters
            up, down = base.copy(), base.copy()
            up[i], down[i] = base[i] * np.exp(step), base[i] * np.exp(-step)
            diff = nll(up, *args, 0.0) - nll(down, *args, 0.0)
            grad.append(diff * args[3].mean() / total / (2 * step))
    return bool(np.all(np.isfinite(grad)) and np.max(np.abs(grad)) < 1e-3)


def _diagnose(fitted: Any, model: str, data: pd.DataFrame, penalizer: float) -> dict[str, Any]:
    params = fitted.params_
    n, k = len(data), len(params)
    ll = log_likelihood(fitted, model)
    low, high = PARAMETER_EDGE
    at_bound = [str(p) for p, v in params.items() if not (low < v < high)]
    diag: dict[str, Any] = {
        "model": model,
        "customers": n,
        "converged": _converged_at(fitted, model),
        "log_likelihood": ll,
        "n_params": k,
        "aic": 2 * k - 2 * ll,
        "bic": float(k * np.log(n) - 2 * ll),
        "at_bound": at_bound,
        "penalizer": penalizer,
        "penalizer_shift": 0.0,
        "warnings": [],
    }
    if not diag["converged"]:
        diag["warnings"].append(
            "not converged: the likelihood is not flat where the optimiser stopped (it ran out "
            "of iterations, or parameters run off towards infinity together)"
        )
    if at_bound:
        diag["warnings"].append(f"parameters at the edge of the parameter space: {at_bound}")
    if penalizer:
        free = fit_weighted(data, model=model, penalizer=0.0).params_
        shift = float((params / free - 1).abs().max())
        diag["penalizer_shift"] = shift
        if shift > 0.01:
            diag["warnings"].append(
                f"penalizer {penalizer} moves the parameters by up to {shift:.0%} "
                f"(unpenalised: {free.round(3).to_dict()})"
            )
    return diag
