"""Notebook 02: funnels, drop-outs, the A/B readout and why people drop.

The names of ``journeylib.funnels`` before it became a folder are handed on from
:mod:`journeylib.funnels.conversion`."""

from .conversion import (
    COUNTS,
    ORDERS,
    Window,
    attempt_table,
    can_split,
    funnel,
    funnel_times,
    present_steps,
    usable_split,
)

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
