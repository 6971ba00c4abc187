"""Tables that read well: thousands separators, percents, escaped text, no index."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

from .privacy import redact_frame


def styled(
    frame: pd.DataFrame,
    *,
    percent: Iterable[str] = (),
    integer: Iterable[str] = (),
    decimals: Iterable[str] = (),
    currency: Iterable[str] = (),
    caption: str | None = None,
) -> Styler:
    """A Styler for ``frame``: percents as ``12.3%``, counts as ``1,234``, money as ``1,234.50``.

    Numeric columns not listed get a readable default: p-values (``p_value``, ``p_*``,
    ``*_p``) as ``0.042`` or ``< 0.001``, other floats with thousands separators or three
    significant digits, integers of 10,000 and more with thousands separators.
    Every cell's text, the column names and the caption are HTML-escaped (text from data
    never becomes markup) and the index is hidden. Personal data never shows: ids that look
    like e-mail addresses are replaced by salted pseudonyms and addresses in text by theirs
    (:func:`journeylib.privacy.redact_frame`).
    """
    frame = redact_frame(frame)
    fmt: dict[str, Any] = {}
    fmt |= {c: "{:.1%}" for c in percent if c in frame.columns}
    fmt |= {c: "{:,.0f}" for c in integer if c in frame.columns}
    fmt |= {c: "{:,.2f}" for c in decimals if c in frame.columns}
    fmt |= {c: "{:,.2f}" for c in currency if c in frame.columns}
    fmt = _defaults(frame, fmt) | fmt
    styler = frame.style.format(fmt, na_rep="–", escape="html").hide(axis="index")
    styler = styler.format_index(escape="html", axis="columns")
    if caption:
        styler = styler.set_caption(html.escape(caption, quote=False))
    return styler


def _p_value(value: float) -> str:
    # the Styler escapes text values, not what a formatter returns: this is HTML already
    return "&lt; 0.001" if value < 0.001 else f"{value:.3f}"


def _general(value: float) -> str:
    """A float no format was asked for: thousands separators, or 3 significant digits."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.3g}"


def _is_p_value(name: object) -> bool:
    name = str(name).lower()
    return name in {"p", "pvalue"} or name.startswith("p_") or name.endswith("_p")


def _defaults(frame: pd.DataFrame, asked: dict[str, Any]) -> dict[str, Any]:
    """Formats for the numeric columns not listed: p-values, floats, large integers."""
    out: dict[str, Any] = {}
    for col in frame.columns:
        if col in asked or frame[col].dtype == bool:
            continue
        if pd.api.types.is_float_dtype(frame[col]):
            out[col] = _p_value if _is_p_value(col) else _general
        elif pd.api.types.is_integer_dtype(frame[col]) and frame[col].abs().max() >= 10_000:
            out[col] = "{:,.0f}"
    return out


def _fmt(value: float, unit: str) -> str:
    if pd.isna(value):
        return "–"
    if unit == "share":
        return f"{value:.2%}"
    if unit == "currency":
        return f"{value:,.2f}"
    return f"{value:,.0f}"


def _fmt_change(value: float, unit: str) -> str:
    if pd.isna(value):
        return "–"
    if unit == "share":
        return f"{100 * value:+.2f} pts"
    return f"{value:+,.2f}" if unit == "currency" else f"{value:+,.0f}"


def kpi_table(kpis: pd.DataFrame, *, caption: str | None = None) -> Styler:
    """KPIs (``kpi``, ``this_week``, ``previous_week``, ``change``, ``unit``) formatted by unit.

    Shares show as percents and their change in percentage points.
    """
    shown = pd.DataFrame(
        {
            "KPI": kpis.kpi,
            "this week": [_fmt(v, u) for v, u in zip(kpis.this_week, kpis.unit, strict=True)],
            "previous week": [
                _fmt(v, u) for v, u in zip(kpis.previous_week, kpis.unit, strict=True)
            ],
            "change": [_fmt_change(v, u) for v, u in zip(kpis.change, kpis.unit, strict=True)],
        }
    )
    return styled(shown, caption=caption)
