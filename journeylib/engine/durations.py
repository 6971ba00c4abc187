"""Durations an analyst types (``"7D"``, ``"12h"``, ``"30min"``): always with a unit.

pandas reads a bare number as nanoseconds (``pd.Timedelta("3")`` is 3 ns), so a conversion
window of ``"3"`` would silently count nothing. Every duration journeylib accepts (funnel
windows, the session gap, pattern horizons, activity and e-mail windows) is read by
:func:`parse_duration`, which refuses a number without a unit and says how to write one.
"""

from __future__ import annotations

import datetime as dt
import numbers
import re

import numpy as np
import pandas as pd

__all__ = ["UNIT_HINT", "parse_duration"]

#: How to write a duration, quoted by every error about one.
UNIT_HINT = "write a number with a unit, like '3D' (days), '12h' (hours) or '30min' (minutes)"
_BARE_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def parse_duration(
    value: str | pd.Timedelta | dt.timedelta | np.timedelta64,
    *,
    name: str = "duration",
    hint: str = "",
) -> pd.Timedelta:
    """``value`` as a :class:`pandas.Timedelta`, refusing numbers without a unit.

    Parameters
    ----------
    value : str, Timedelta, timedelta or numpy timedelta64
        A pandas duration string with a unit (``"7D"``, ``"12h"``, ``"1 days 02:00:00"``)
        or a duration object.
    name : str
        What the value is (``"window"``), named in the error.
    hint : str
        A further way to write the value, added to the error (e.g. ``"or 10 (an int) for
        the first 10 events"``).

    Returns
    -------
    Timedelta
        Not negative.

    Raises
    ------
    ValueError
        For a bare number (``"3"``, ``3``, ``2.5``), a blank or unreadable text, a missing
        value or a negative duration; the message names ``name``, the value and how to
        write a duration.
    """
    how = f"{UNIT_HINT}{' ' + hint if hint else ''}"
    is_span = isinstance(value, dt.timedelta | np.timedelta64)  # pd.Timedelta is one too
    if not is_span and isinstance(value, numbers.Number):  # bool included
        raise ValueError(f"{name}={value!r} has no unit: {how}")
    if isinstance(value, str) and _BARE_NUMBER.match(value):
        raise ValueError(f"{name}={value!r} has no unit: {how}")
    if isinstance(value, str) and not value.strip():
        raise ValueError(f"{name} is blank: {how}")
    try:
        span = pd.Timedelta(value)
    except (ValueError, TypeError):
        raise ValueError(f"{name}={value!r} is not a duration: {how}") from None
    if pd.isna(span):
        raise ValueError(f"{name}={value!r} is not a duration: {how}")
    if span < pd.Timedelta(0):
        raise ValueError(f"{name}={value!r} cannot be negative: {how}")
    return span
