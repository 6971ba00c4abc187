"""Notebook 00: what is in the log and how the week compares.

The names of ``journeylib.overview`` before it became a folder are handed on from
:mod:`journeylib.overview.summary`."""

from .summary import (
    MIX_COLUMNS,
    Overview,
    bounce_table,
    data_health,
    event_names,
    events_per_day,
    session_mix,
    summarize,
    weekly_kpis,
)

__all__ = [
    "MIX_COLUMNS",
    "Overview",
    "bounce_table",
    "data_health",
    "event_names",
    "events_per_day",
    "explore_daily",
    "session_mix",
    "summarize",
    "weekly_kpis",
]


def __getattr__(name: str) -> object:
    """explore_daily: from :mod:`.plots`, imported when first asked for."""
    if name in ("explore_daily",):
        from .plots import explore_daily

        return explore_daily
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
