"""Notebook 01: how people travel through stages, touchpoints and channels.

The names of ``journeylib.journey`` before it became a folder are handed on from
:mod:`journeylib.journey.journey_map`, :mod:`journeylib.journey.stage_view` and
:mod:`journeylib.journey.way_to_purchase`."""

from ..engine.sequences import (
    END,
    ENDED,
    ENDED_APART,
    LEVELS,
    WITHIN,
    steps,
)
from .attribution import (
    START,
)
from .journey_map import (
    STAGED_ABOVE,
    step_matrix,
    transition_table,
    transitions,
)
from .stage_view import stage_view
from .way_to_purchase import purchase_paths, time_to_first_purchase

__all__ = [
    "END",
    "ENDED",
    "ENDED_APART",
    "LEVELS",
    "STAGED_ABOVE",
    "START",
    "WITHIN",
    "purchase_paths",
    "stage_view",
    "step_matrix",
    "steps",
    "time_to_first_purchase",
    "transition_table",
    "transitions",
]
