"""Notebook 02: funnels, drop-outs, the A/B readout and why people drop.

The names of ``journeylib.funnels`` before it became a folder are handed on from
:mod:`journeylib.funnels.conversion`, :mod:`~journeylib.funnels.fallbacks` and
:mod:`~journeylib.funnels.spec`."""

from .conversion import attempt_table, funnel, funnel_times
from .fallbacks import can_split, present_steps, usable_split
from .spec import COUNTS, ORDERS, Window

__all__ = [
    "COUNTS",
    "ORDERS",
    "Window",
    "attempt_table",
    "can_split",
    "funnel",
    "funnel_times",
    "present_steps",
    "usable_split",
]
