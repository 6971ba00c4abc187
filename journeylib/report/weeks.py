"""ISO weeks for the report run: checking one, expanding a range, the last complete one."""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["default_week", "validate_week", "week_range"]


def validate_week(week: str) -> str:
    """Return ``week`` if it is an ISO week such as ``"2024-W23"``, else raise ValueError."""
    from ..engine.periods import iso_week_bounds

    iso_week_bounds(week)
    return week


def week_range(spec: str) -> list[str]:
    """Expand ``"2024-W20..2024-W23"`` (or one week) into its ISO weeks, oldest first.

    Parameters
    ----------
    spec : str
        ``FIRST..LAST`` with both ends included, or a single week.

    Returns
    -------
    list of str
        The weeks, e.g. ``["2024-W20", "2024-W21", "2024-W22", "2024-W23"]``.
    """
    from ..engine.periods import weeks_between

    first, _, last = spec.partition("..")
    return weeks_between(first.strip(), (last or first).strip())


def default_week(data: str | os.PathLike[str], *, columns: Mapping[str, str] | None = None) -> str:
    """Return the last complete ISO week in the event log at ``data``.

    Parameters
    ----------
    data : path
        Event log readable by :func:`journeylib.read_events`.
    columns : mapping, optional
        Column mapping for :func:`journeylib.read_events`.

    Returns
    -------
    str
        ``journeylib.engine.periods.last_complete_week`` of the events, e.g. ``"2024-W23"``.
    """
    from ..engine import periods
    from ..engine.read.spec import read_source

    return periods.last_complete_week(read_source(str(data), columns))
