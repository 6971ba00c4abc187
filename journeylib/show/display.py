"""How a number looks on a page: one plain label per column, one format per kind of number.

Every table of a reviewer page goes through here (:func:`journeylib.show.tables.styled` calls
:func:`for_display`), so that a quantity reads the same wherever it appears:

=============  ====================================================  =====================
kind           what it is                                            shown as
=============  ====================================================  =====================
``count``      people, sessions, orders                              ``1,234``
``share``      a rate or a share between 0 and 1                     ``12.3%``
``points``     a difference of two shares                            ``+1.2 pts``
``money``      an amount of money                                    ``€1,234.50``
``seconds``    a duration in seconds (``hours``, ``days`` likewise)  ``11 min``, ``3.2 days``
``p_value``    a p-value                                             ``< 0.001``, ``0.023``
``yes_no``     a flag                                                ``yes`` / ``no``
``number``     anything else numeric                                 ``1,234``, ``12.3``
``text``       labels, names, dates                                  as they are
=============  ====================================================  =====================

No format ever gives scientific notation, ``nan``, ``NaT``, ``None``, ``True`` or ``False``;
a missing value shows as ``–``. Column labels are words with their unit where the cells do
not carry it (:data:`LABELS`, else the column name with its underscores made spaces).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from .labels import LABELS, MISSING, is_missing, step_label, steps_in_words
from .page_settings import Settings, configure, settings

__all__ = [
    "LABELS",
    "MISSING",
    "Settings",
    "configure",
    "duration",
    "fit_width",
    "by_unit",
    "for_display",
    "format_value",
    "kind_of",
    "label",
    "money",
    "whole_money",
    "number",
    "p_value",
    "percent",
    "settings",
    "step_label",
    "steps_in_words",
]

#: Widest table a page holds (px), and the estimated width of one character and a cell's padding.
PAGE_WIDTH = 1_100
CHAR_PX = 7.4
CELL_PADDING_PX = 18
_P_NAME = re.compile(r"^(p|pvalue|p_value|p_.*|.*_p)$", re.IGNORECASE)
_MONEY_NAME = re.compile(r"(revenue|clv|order_value|monetary|spend|money|price|amount)")
_SHARE_NAME = re.compile(r"(share|rate|conversion|percent|proportion)")
_DURATION_UNITS = {"seconds": 1.0, "minutes": 60.0, "hours": 3_600.0, "days": 86_400.0}


# --- one value ---------------------------------------------------------------------------


def number(value: float) -> str:
    """A number without scientific notation: ``1,234``, ``12.3``, ``1.23``, ``0.042``."""
    if is_missing(value):
        return MISSING
    value = float(value)
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    size = abs(value)
    if size >= 100 or value == round(value):
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:,.1f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def percent(value: float, *, signed: bool = False) -> str:
    """A share as a percent: ``12.3%``; below 10 % with two decimals (``3.67%``, ``0.35%``)."""
    if is_missing(value):
        return MISSING
    value = float(value)
    digits = 2 if abs(value) < 0.1 else 1
    sign = "+" if signed else ""
    return f"{value:{sign}.{digits}%}"


def points(value: float) -> str:
    """A difference of two shares in percentage points: ``+1.2 pts``, ``-0.01 pts``."""
    if is_missing(value):
        return MISSING
    pts = 100 * float(value)
    return f"{pts:+.{2 if abs(pts) < 1 else 1}f} pts"


def money(value: float, *, currency: str | None = None) -> str:
    """An amount with the currency symbol: ``€1,234.50``; 10,000 and more without cents."""
    cents = not is_missing(value) and abs(float(value)) < 10_000
    return _amount(value, 2 if cents else 0, currency)


def whole_money(value: float, *, currency: str | None = None) -> str:
    """An amount in whole units with the currency symbol, for sentences: ``€92,984``,
    ``€63`` (``92,984`` without a symbol)."""
    return _amount(value, 0, currency)


def _amount(value: float, decimals: int, currency: str | None) -> str:
    """``value`` with the sign first, then the symbol (the page's when ``currency`` is None)."""
    if is_missing(value):
        return MISSING
    value = float(value)
    symbol = settings().currency if currency is None else currency
    return f"{'-' if value < 0 else ''}{symbol or ''}{abs(value):,.{decimals}f}"


def duration(seconds: float) -> str:
    """A duration in human units: ``45 s``, ``11 min``, ``5.2 h``, ``3.2 days``."""
    if is_missing(seconds):
        return MISSING
    if isinstance(seconds, pd.Timedelta | np.timedelta64 | dt.timedelta):
        seconds = pd.Timedelta(seconds).total_seconds()
    seconds = float(seconds)
    sign, s = ("-" if seconds < 0 else ""), abs(seconds)
    if s < 60:
        return f"{sign}{s:.0f} s"
    if s < 3_600:
        return f"{sign}{s / 60:.0f} min"
    if s < 48 * 3_600:
        return f"{sign}{s / 3_600:.1f} h"
    return f"{sign}{s / 86_400:.1f} days"


def p_value(value: float) -> str:
    """A p-value: ``< 0.001`` or three decimals (``0.023``)."""
    if is_missing(value):
        return MISSING
    return "< 0.001" if float(value) < 0.001 else f"{float(value):.3f}"


def _text(value: object) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | np.ndarray):
        return " → ".join(_text(v) for v in value)
    if is_missing(value):
        return MISSING
    if isinstance(value, pd.Timestamp):
        return (
            value.strftime("%Y-%m-%d") if value == value.normalize() else f"{value:%Y-%m-%d %H:%M}"
        )
    if isinstance(value, pd.Timedelta):
        return duration(value.total_seconds())
    if isinstance(value, float | np.floating):
        return number(value)
    return str(value)


def format_value(value: object, kind: str, *, currency: str | None = None) -> str:
    """``value`` as text for a column of ``kind`` (see the module's table of kinds)."""
    if kind == "text" or isinstance(value, str):
        return _text(value)
    if is_missing(value):
        return MISSING
    if kind == "yes_no" or isinstance(value, bool | np.bool_):
        return "yes" if bool(value) else "no"
    if isinstance(value, pd.Timedelta | np.timedelta64):
        return duration(pd.Timedelta(value).total_seconds())
    if kind in _DURATION_UNITS:
        return duration(float(value) * _DURATION_UNITS[kind])
    formats = {
        "count": lambda v: f"{float(v):,.0f}",
        "share": percent,
        "points": points,
        "money": lambda v: money(v, currency=currency),
        "p_value": p_value,
        "number": number,
    }
    return formats.get(kind, _text)(value)


#: Kinds of the ``unit`` words long tables carry per row (one row per metric).
UNIT_KINDS = {"share": "share", "count": "number", "days": "days", "currency": "money"}


def by_unit(value: float, unit: str, *, change: bool = False) -> str:
    """``value`` formatted for the ``unit`` of its row (``share``, ``count``, ``days``,
    ``currency``; anything else reads as a plain number), for tables of one metric per row.

    ``change=True`` formats a difference: points for shares (``+19.5 pts``), a sign before
    counts, durations and money (``+0.38``, ``+2.6 days``, ``+58.76``). Days stay days
    (``0.6 days``, ``42.0 days``) so that a row reads in one unit.

    Examples
    --------
    >>> by_unit(0.3716, "share"), by_unit(0.1949, "share", change=True)
    ('37.2%', '+19.5 pts')
    """
    if is_missing(value):
        return MISSING
    kind = UNIT_KINDS.get(str(unit), "number")
    if change and kind == "share":
        return points(value)
    size = abs(value) if change else value
    # one unit along a row (never "-21.1 days to -24.0 h")
    text = f"{size:,.1f} days" if kind == "days" else format_value(size, kind)
    return ("-" if value < 0 else "+") + text if change else text


# --- one column ----------------------------------------------------------------------------


def kind_of(name: object, values: pd.Series | None = None) -> str:
    """The kind of a column from its name (:data:`LABELS`, name patterns) and its values.

    Parameters
    ----------
    name : str
        Column name.
    values : Series, optional
        Its values; their dtype decides when the name does not.

    Returns
    -------
    str
        One of ``count``, ``share``, ``points``, ``money``, ``seconds``, ``minutes``,
        ``hours``, ``days``, ``p_value``, ``yes_no``, ``number``, ``text``.
    """
    key = str(name)
    if values is not None:
        if pd.api.types.is_bool_dtype(values):
            return "yes_no"
        if pd.api.types.is_timedelta64_dtype(values):
            return "seconds"
        if not pd.api.types.is_numeric_dtype(values):
            return "text"
    if key in LABELS:
        return LABELS[key][1]
    low = key.lower()
    if _P_NAME.match(low):
        return "p_value"
    for unit in _DURATION_UNITS:
        if low.endswith(f"_{unit}") or low == unit:
            return unit
    if _MONEY_NAME.search(low):
        return "money"
    if _SHARE_NAME.search(low) and values is not None and _within_unit(values):
        return "share"
    if values is not None and _whole(values):
        return "count"
    return "number"


def _within_unit(values: pd.Series) -> bool:
    finite = pd.to_numeric(values, errors="coerce").dropna()
    return bool(len(finite)) and bool(finite.between(-1, 1).all())


def _whole(values: pd.Series) -> bool:
    if pd.api.types.is_integer_dtype(values):
        return True
    finite = pd.to_numeric(values, errors="coerce").dropna()
    return bool(len(finite)) and bool((finite == finite.round()).all())


def label(name: object) -> str:
    """The plain label of a column: :data:`LABELS`, else its name in words.

    Labels need no unit: percents, durations, money and p-values carry theirs in the cell.
    """
    key = str(name)
    return LABELS[key][0] if key in LABELS else _words(key)


def _words(name: str) -> str:
    for unit in _DURATION_UNITS:
        if name.endswith(f"_{unit}"):
            name = (
                name[: -len(unit) - 1].replace("median", "median time").replace("mean", "mean time")
            )
            break
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else name


# --- one table -----------------------------------------------------------------------------


def for_display(
    frame: pd.DataFrame,
    *,
    kinds: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    currency: str | None = None,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """``frame`` as text ready for a page, with plain labels for its columns.

    Parameters
    ----------
    frame : DataFrame
        Any table (its index is dropped).
    kinds : mapping, optional
        Kind of some columns (by column name), overriding :func:`kind_of`.
    labels : mapping, optional
        Label of some columns, overriding :func:`label`.
    currency : str, optional
        Currency symbol; None takes the page's (:func:`configure`).

    Returns
    -------
    (DataFrame, dict)
        The frame with every cell formatted as text and columns renamed to their labels, and
        the kind of each labelled column (numbers are right-aligned by the caller).
    """
    kinds, labels = dict(kinds or {}), dict(labels or {})
    out, kind_by_label = {}, {}
    for col in frame.columns:
        kind = kinds.get(col) or kind_of(col, frame[col])
        text = labels.get(col) or label(col)
        while text in out:  # two columns with one label keep both
            text += " "
        out[text] = [format_value(v, kind, currency=currency) for v in frame[col].tolist()]
        kind_by_label[text] = kind
    shown = pd.DataFrame(out, index=range(len(frame)), columns=list(out))
    return shown, kind_by_label


def _width(column: str, cells: Iterable[str]) -> float:
    longest_word = max((len(w) for w in column.split()), default=0)
    longest_cell = max((len(c) for c in cells), default=0)
    return max(longest_word, min(longest_cell, 40)) * CHAR_PX + CELL_PADDING_PX


def fit_width(
    shown: pd.DataFrame, *, keep: Iterable[str] = (), width: float = PAGE_WIDTH
) -> list[str]:
    """The columns of ``shown`` (text, labelled) that fit ``width`` pixels, in their order.

    The columns in ``keep`` (labels) come first in priority, then the others left to right;
    the first column always stays.
    """
    columns = list(shown.columns)
    if not columns:
        return columns
    sizes = {c: _width(c, shown[c]) for c in columns}
    if sum(sizes.values()) <= width:
        return columns
    priority = [columns[0], *[c for c in keep if c in sizes and c != columns[0]]]
    priority += [c for c in columns if c not in priority]
    chosen, used = set(), 0.0
    for col in priority:
        if used + sizes[col] <= width or not chosen:
            chosen.add(col)
            used += sizes[col]
    return [c for c in columns if c in chosen]
