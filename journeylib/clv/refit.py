"""The purchase model that values customers: the holdout's choice refitted on the whole
period, or the next best when it fails there (:func:`refit_purchase_model`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import validation as cv
from .models import ClvFitError, fit

__all__ = ["predicts_everyone", "refit_purchase_model"]


def refit_purchase_model(summary: pd.DataFrame, comparison: cv.ModelComparison) -> tuple[Any, str]:
    """The purchase model refitted on the whole period: the chosen one, or when it does not
    converge on all the data, or predicts nothing for some buyer (parameters that ran off
    make the likelihood's terms overflow), the next best of the comparison that does. When
    every model that converges leaves some buyer out, the best of them."""
    table = comparison.table
    ranked = table[table["model"].isin(list(comparison.models))].sort_values(["rmse", "bic"])
    errors, partial = [], []
    for key in ranked["model"]:
        try:
            model = fit(summary, model=key)
        except ClvFitError as err:
            errors.append(f"{key}: {err}")
            continue
        if predicts_everyone(model, summary):
            return model, key
        partial.append((model, key))
    if partial:
        return partial[0]
    raise ClvFitError("no purchase model converges on the whole period (" + "; ".join(errors) + ")")


def predicts_everyone(model: Any, summary: pd.DataFrame) -> bool:
    """Whether a fitted purchase model gives every buyer of ``summary`` (``frequency``,
    ``recency``, ``T``) a finite P(alive) and expected purchases over a year of weeks."""
    f, r, t = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    alive = np.asarray(model.conditional_probability_alive(f, r, t), dtype=float)
    expected = np.asarray(
        model.conditional_expected_number_of_purchases_up_to_time(52.0, f, r, t), dtype=float
    )
    return bool(np.isfinite(alive).all() and np.isfinite(expected).all())
