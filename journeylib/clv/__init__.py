"""Notebook 04: customer lifetime value, its models, holdout checks and intervals.

The names of ``journeylib.clv`` before it became a folder are handed on from
:mod:`journeylib.clv.models`."""

from .models import (
    GRADIENT_TOL,
    MODELS,
    PARAMETER_EDGE,
    PURCHASE_MODELS,
    ClvFitError,
    ClvFitWarning,
    fit,
    fit_weighted,
    log_likelihood,
    rfm_summary,
)
from .value import (
    customer_value,
)

__all__ = [
    "ClvFitError",
    "ClvFitWarning",
    "GRADIENT_TOL",
    "MODELS",
    "PARAMETER_EDGE",
    "PURCHASE_MODELS",
    "customer_value",
    "fit",
    "fit_weighted",
    "log_likelihood",
    "rfm_summary",
]
