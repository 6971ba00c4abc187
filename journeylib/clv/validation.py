"""Holdout validation of the purchase models: do they predict what customers did next?

Split the purchases by date (:func:`default_calibration_end`, then
:func:`journeylib.clv.rfm_summary` with ``calibration_end``), fit on the calibration period
and compare with the holdout: per customer (:func:`holdout_predictions`,
:func:`holdout_errors`), over time (:func:`tracking`, Fader, Hardie & Lee's cumulative
repeat-purchase plot), by calibration frequency (:func:`calibration_by_frequency`), and across
models (:func:`compare_models`, which picks the model used for the CLV).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..engine.eventlog import EventLog
from .models import PURCHASE_MODELS, ClvFitError, fit
from .summary import period_of, summary_period, transaction_table

__all__ = [
    "ModelComparison",
    "calibration_by_frequency",
    "compare_models",
    "default_calibration_end",
    "holdout_errors",
    "holdout_predictions",
    "tracking",
]

MODEL_NAMES = {
    "bgnbd": "BG/NBD",
    "pareto_nbd": "Pareto/NBD",
    "mbgnbd": "MBG/NBD",
    "gamma_gamma": "Gamma-Gamma",
}


def default_calibration_end(
    transactions: EventLog | pd.DataFrame,
    *,
    customer: str = "user_id",
    time: str = "event_time",
    holdout_share: float = 0.25,
) -> pd.Timestamp:
    """The calibration end that leaves the last ``holdout_share`` of the data period as holdout.

    The period runs from the first purchase to the last time in the input; the result is
    rounded down to midnight (UTC).
    """
    t, con, _, end = transaction_table(transactions, customer, time, None)
    first = pd.Timestamp(con.execute(t.filter(~t._r)._t.min()))
    last = pd.Timestamp(con.execute(end))
    return (first + (last - first) * (1 - holdout_share)).floor("D")


def holdout_predictions(model: Any, summary: pd.DataFrame) -> pd.DataFrame:
    """Expected vs actual holdout purchases per customer.

    Parameters
    ----------
    model
        A purchase model fitted on the calibration columns of ``summary``.
    summary
        :func:`~journeylib.clv.rfm_summary` with ``calibration_end``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``summary``: ``frequency`` (calibration), ``actual`` (holdout
        purchases), ``predicted`` (model's conditional expectation over
        ``duration_holdout``), ``error`` (predicted - actual).
    """
    predicted = model.conditional_expected_number_of_purchases_up_to_time(
        summary["duration_holdout"].to_numpy(),
        summary["frequency"].to_numpy(),
        summary["recency"].to_numpy(),
        summary["T"].to_numpy(),
    )
    out = pd.DataFrame(
        {
            "frequency": summary["frequency"],
            "actual": summary["frequency_holdout"],
            "predicted": np.asarray(predicted, dtype=float),
        },
        index=summary.index,
    )
    out["error"] = out["predicted"] - out["actual"]
    return out


def holdout_errors(predictions: pd.DataFrame) -> dict[str, float]:
    """MAE, RMSE and bias (mean predicted - actual) per customer, and the totals.

    Returns ``mae``, ``rmse``, ``bias``, ``predicted_total``, ``actual_total``.
    """
    e = predictions["error"]
    return {
        "mae": float(e.abs().mean()),
        "rmse": float(np.sqrt((e**2).mean())),
        "bias": float(e.mean()),
        "predicted_total": float(predictions["predicted"].sum()),
        "actual_total": float(predictions["actual"].sum()),
    }


def calibration_by_frequency(predictions: pd.DataFrame, *, max_frequency: int = 7) -> pd.DataFrame:
    """Mean holdout purchases by calibration frequency, predicted and actual.

    Frequencies above ``max_frequency`` are pooled. Returns tidy rows: ``frequency``
    (text, ``"7+"`` for the pooled group), ``customers``, ``source`` (``"actual"`` or
    ``"model"``), ``mean_holdout_purchases``.
    """
    f = predictions["frequency"].clip(upper=max_frequency).astype(int)
    grouped = predictions.groupby(f.to_numpy())
    wide = pd.DataFrame(
        {
            "customers": grouped.size(),
            "actual": grouped["actual"].mean(),
            "model": grouped["predicted"].mean(),
        }
    )
    labels = [f"{i}+" if i == max_frequency else str(i) for i in wide.index]
    wide.insert(0, "frequency", labels)
    return wide.melt(
        id_vars=["frequency", "customers"],
        var_name="source",
        value_name="mean_holdout_purchases",
    )


def tracking(
    model: Any,
    transactions: EventLog | pd.DataFrame,
    summary: pd.DataFrame,
    *,
    calibration_end: Any,
    customer: str = "user_id",
    time: str = "event_time",
    freq: str = "D",
    freq_multiplier: float = 7.0,
) -> pd.DataFrame:
    """Cumulative repeat purchases over time, actual against the model.

    The customers are those of ``summary`` (first purchase in the calibration period); the
    model's curve sums each one's unconditional ``E[X(t - first purchase)]``, as in Fader,
    Hardie and Lee (2005). ``freq`` and ``freq_multiplier`` must be those of ``summary``.

    Returns
    -------
    pandas.DataFrame
        Tidy: ``t`` (time units since the calibration end, negative before it), ``source``
        (``"actual"``, ``"model"``), ``cumulative_repeat_purchases``.
    """
    t, con, _, _ = transaction_table(transactions, customer, time, None)
    cal = pd.Timestamp(calibration_end)
    if t._t.type().timezone is not None and cal.tzinfo is None:
        cal = cal.tz_localize("UTC")
    p_cal = period_of(cal, freq)
    p = t.filter(~t._r)
    p = p.mutate(_p=summary_period(p._t, freq))
    per = p.group_by(["_c", "_p"]).aggregate(_t0=p._t.min())
    first = per.group_by("_c").aggregate(_first=per._p.min(), _born=per._t0.min())
    j = per.join(first, "_c")
    j = j.filter((j._p > j._first) & (j._born <= cal))  # repeats of the calibration customers
    counts = con.execute(j.group_by("_p").aggregate(n=j.count()))
    offsets = np.repeat((counts["_p"].to_numpy() - p_cal) / freq_multiplier, counts["n"])
    duration = float(summary["duration_holdout"].iloc[0])
    births = -summary["T"].to_numpy()
    grid = np.arange(np.floor(births.min()), np.ceil(duration) + 1.0)
    actual_cum = np.searchsorted(np.sort(offsets), grid, side="right").astype(float)
    ages, n = np.unique(births, return_counts=True)
    age = np.clip(grid[:, None] - ages[None, :], 0.0, None)
    expected = np.asarray(model.expected_number_of_purchases_up_to_time(age.ravel()), dtype=float)
    expected_cum = (expected.reshape(age.shape) * n[None, :]).sum(axis=1)
    frame = pd.DataFrame({"t": grid, "actual": actual_cum, "model": expected_cum})
    return frame.melt(id_vars="t", var_name="source", value_name="cumulative_repeat_purchases")


@dataclass(frozen=True)
class ModelComparison:
    """Purchase models fitted on the calibration period and scored on the holdout.

    Attributes
    ----------
    table
        One row per model: ``model`` (key), ``name`` (in words), the parameters as text,
        ``log_likelihood``, ``aic``, ``bic``, ``mae``, ``rmse``, ``bias``, ``predicted_total``,
        ``actual_total``, ``warnings``, ``chosen`` (bool).
    models
        Fitted models by key.
    chosen
        Key of the chosen model: the lowest holdout RMSE per customer (ties: lowest BIC).
    predictions
        :func:`holdout_predictions` of each model, stacked with a ``model`` column.
    """

    table: pd.DataFrame
    models: dict[str, Any]
    chosen: str
    predictions: pd.DataFrame

    @property
    def chosen_name(self) -> str:
        """The chosen model's name in words (``"BG/NBD"``)."""
        return MODEL_NAMES[self.chosen]


def compare_models(
    summary: pd.DataFrame,
    *,
    models: tuple[str, ...] = PURCHASE_MODELS,
    penalizer: float = 0.0,
) -> ModelComparison:
    """Fit each purchase model on the calibration columns and score it on the holdout.

    A model whose fit fails (no convergence) gets a row with its error in ``warnings`` and
    cannot be chosen. Log-likelihoods are on the summary's time unit, so they compare
    across models on the same data.
    """
    if summary.empty:
        raise ClvFitError("the log has no purchases in the calibration period: no buyers to model")
    rows, fitted, preds = [], {}, []
    for key in models:
        row: dict[str, Any] = {"model": key, "name": MODEL_NAMES[key]}
        try:
            m = fit(summary, model=key, penalizer=penalizer)
        except RuntimeError as err:
            rows.append(row | {"warnings": str(err)})
            continue
        fitted[key] = m
        pred = holdout_predictions(m, summary)
        preds.append(pred.assign(model=key))
        d = m.diagnostics_
        row |= {
            "parameters": ", ".join(f"{k} {v:.3g}" for k, v in m.params_.items()),
            "log_likelihood": d["log_likelihood"],
            "aic": d["aic"],
            "bic": d["bic"],
            **holdout_errors(pred),
            "warnings": "; ".join(d["warnings"]),
        }
        rows.append(row)
    table = pd.DataFrame(rows)
    if not fitted:
        why = "; ".join(f"{r['name']}: {r['warnings']}" for r in rows)
        raise ClvFitError(f"no purchase model could be fitted on {len(summary)} buyers ({why})")
    ok = table[table["model"].isin(list(fitted))]
    chosen = ok.sort_values(["rmse", "bic"]).iloc[0]["model"]
    table["chosen"] = table["model"] == chosen
    return ModelComparison(table, fitted, chosen, pd.concat(preds))
