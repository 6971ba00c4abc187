"""Notebook 05: cohort retention, lifecycle and time between orders.

The names of ``journeylib.retention`` before it became a folder are handed on from
:mod:`journeylib.retention.cohort_retention`."""

from .cohort_retention import (
    MEASURES,
    MODES,
    retention,
    retention_curve,
)

__all__ = [
    "MEASURES",
    "MODES",
    "retention",
    "retention_curve",
]
