"""Tables that read well: thousands separators, percents, escaped text, no index."""

from __future__ import annotations

from collections.abc import Iterable

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

    Every cell's text is HTML-escaped (text from data never becomes markup) and the index
    is hidden. Personal data never shows: ids that look like e-mail addresses are replaced by
    salted pseudonyms and addresses in text by theirs (:func:`journeylib.privacy.redact_frame`).
    """
    frame = redact_frame(frame)
    fmt: dict[str, str] = {}
    fmt |= {c: "{:.1%}" for c in percent if c in frame.columns}
    fmt |= {c: "{:,.0f}" for c in integer if c in frame.columns}
    fmt |= {c: "{:,.2f}" for c in decimals if c in frame.columns}
    fmt |= {c: "{:,.2f}" for c in currency if c in frame.columns}
    styler = frame.style.format(fmt, na_rep="–", escape="html").hide(axis="index")
    if caption:
        styler = styler.set_caption(caption)
    return styler


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
