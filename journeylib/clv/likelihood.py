"""The likelihood of a fitted CLV model and the covariance of its log-parameters.

Near the optimum the total log-likelihood is close to a quadratic in the log-parameters; minus
the inverse of its curvature (the Hessian, by central differences) is their covariance. The
intervals of :mod:`journeylib.clv.intervals` are built on it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .models import MODELS

#: Step of the central differences, on the log scale of each parameter (0.1 %).
STEP = 1e-3
_COLUMNS = {"gamma_gamma": ["frequency", "monetary_value"]}
#: The RFM columns a purchase model's likelihood and predictions take, in their order.
PURCHASE_COLUMNS = ["frequency", "recency", "T"]


def log_likelihood_function(fitted: Any) -> Callable[[np.ndarray], float]:
    """The total log-likelihood of the rows ``fitted`` was fitted on, in its log-parameters.

    Parameters
    ----------
    fitted
        A model from :func:`journeylib.clv.fit` (or ``fit_weighted``): its ``data_weights_``
        holds the distinct rows and their counts.

    Returns
    -------
    callable
        ``f(log_params) -> float``: sum over customers of the log-likelihood, penalty excluded,
        with the parameters in the order of ``fitted.params_``.
    """
    from . import _lifetimes

    model = model_key(fitted)
    grouped = fitted.data_weights_
    w = grouped["_w"].to_numpy(dtype=float)
    args = [grouped[c].to_numpy(dtype=float) for c in _COLUMNS.get(model, PURCHASE_COLUMNS)]
    nll = type(fitted)._negative_log_likelihood

    def total(log_params: np.ndarray) -> float:
        log_params = np.asarray(log_params, dtype=float)
        with _lifetimes.preserved_warnings():  # lifetimes' likelihoods reset the filters
            warnings.simplefilter("ignore", RuntimeWarning)
            if model == "pareto_nbd":  # parameters as they are, mean-normalised weights
                return float(-nll(np.exp(log_params), *args, w, 0.0) * w.mean())
            return float(-nll(log_params, *args, w, 0.0) * w.sum())

    return total


def log_scale_covariance(
    loglik: Callable[[np.ndarray], float], log_params: np.ndarray, *, step: float = STEP
) -> np.ndarray:
    """Covariance of maximum-likelihood estimates on the log scale, from the curvature.

    Parameters
    ----------
    loglik
        Total log-likelihood as a function of the log-parameters.
    log_params
        The optimum (the fitted parameters' logs).
    step
        Step of the central differences.

    Returns
    -------
    numpy.ndarray
        ``inv(-H)``, ``H`` the Hessian of ``loglik`` at ``log_params`` (k x k). All NaN when
        ``-H`` is not positive definite: the likelihood is flat or the point is no maximum,
        and no interval can be read off it.

    Examples
    --------
    Exponential waiting times, 100 of them summing to 50: the rate's estimate is 2 and the
    log-likelihood in ``x = log(rate)`` is ``100 x - 50 exp(x)``, whose curvature at the
    optimum is -100, so the log-rate's standard error is 0.1.

    >>> cov = log_scale_covariance(lambda x: 100 * x[0] - 50 * np.exp(x[0]), np.log([2.0]))
    >>> round(float(np.sqrt(cov[0, 0])), 4)
    0.1
    """
    x0 = np.asarray(log_params, dtype=float)
    k = x0.size
    f0 = loglik(x0)
    eye = np.eye(k) * step
    h = np.empty((k, k))
    for i in range(k):  # k(k+1)/2 pairs of a 3-7 parameter model: 2k + 2k(k-1) calls
        h[i, i] = (loglik(x0 + eye[i]) - 2 * f0 + loglik(x0 - eye[i])) / step**2
        for j in range(i):
            pp, pm = loglik(x0 + eye[i] + eye[j]), loglik(x0 + eye[i] - eye[j])
            mp, mm = loglik(x0 - eye[i] + eye[j]), loglik(x0 - eye[i] - eye[j])
            h[i, j] = h[j, i] = (pp - pm - mp + mm) / (4 * step**2)
    info = -h
    if not np.all(np.isfinite(info)) or np.linalg.eigvalsh(info).min() <= 0:
        return np.full((k, k), np.nan)
    return np.linalg.inv(info)


def covariance(fitted: Any) -> np.ndarray:
    """Covariance of a fitted model's log-parameters at its optimum (NaN where flat)."""
    log_params = np.log(fitted.params_.to_numpy(dtype=float))
    return log_scale_covariance(log_likelihood_function(fitted), log_params)


def model_key(fitted: Any) -> str:
    """The journeylib key of a lifetimes fitter (``"bgnbd"`` for a ``BetaGeoFitter``)."""
    return {cls: key for key, cls in MODELS.items()}[type(fitted).__name__]
