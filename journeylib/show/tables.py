"""Tables that read well: titled, plain labels, numbers formatted by kind, escaped text, narrow."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import quote

import pandas as pd
from pandas.io.formats.style import Styler

from ..engine.privacy import redact_frame
from . import display, glossary
from .display import configure
from .exports import write_csv

__all__ = ["configure", "kpi_table", "styled"]


def styled(
    frame: pd.DataFrame,
    *,
    percent: Iterable[str] = (),
    integer: Iterable[str] = (),
    decimals: Iterable[str] = (),
    currency: str | Iterable[str] | None = None,
    money: Iterable[str] = (),
    caption: str | None = None,
    labels: Mapping[str, str] | None = None,
    keep: Iterable[str] = (),
) -> Styler:
    """A titled table for a page: plain labels, every number formatted by its kind.

    Formats and labels come from :mod:`journeylib.show.display` (one place for how a number looks):
    shares as ``12.3%``, counts as ``1,234``, money as ``€1,234.50``, durations as ``11 min``,
    p-values as ``< 0.001``, flags as yes/no, never scientific notation or ``nan``.
    Columns listed in ``percent``, ``integer``, ``decimals`` or ``money`` take that kind
    whatever their name. A table wider than the page keeps its first column, the ``keep``
    columns and as many of the rest as fit; the caption says what was left out, and the full
    table is written as CSV beside the page when the page has a folder
    (:func:`journeylib.show.display.configure`).

    Every cell's text is HTML-escaped (text from data never becomes markup) and the index
    is hidden. Personal data never shows: ids that look like e-mail addresses are replaced by
    salted pseudonyms and addresses in text by theirs
    (:func:`journeylib.engine.privacy.redact_frame`).

    Parameters
    ----------
    frame : DataFrame
        The table (index dropped).
    percent, integer, decimals, money : iterable of str
        Columns to show as shares, counts, plain numbers, money.
    currency : str or iterable of str, optional
        The currency symbol (None: the page's, :func:`journeylib.show.display.configure`); for
        older callers, an iterable of column names is read as ``money``.
    caption : str, optional
        The table's title (every table on a reviewer page has one).
    labels : mapping, optional
        Label of some columns, overriding :data:`journeylib.show.display.LABELS`.
    keep : iterable of str
        Columns (names in ``frame``) that matter most when the table must be narrowed.

    Returns
    -------
    Styler
    """
    symbol = currency if isinstance(currency, str) or currency is None else None
    if not isinstance(currency, str) and currency is not None:
        money = [*money, *currency]
    frame = redact_frame(frame)
    hints = dict.fromkeys(percent, "share") | dict.fromkeys(integer, "count")
    hints |= dict.fromkeys(decimals, "number") | dict.fromkeys(money, "money")
    shown, kind_by_label = display.for_display(
        frame, kinds=_asked_kinds(frame, hints), labels=labels, currency=symbol
    )
    wanted = [shown.columns[list(frame.columns).index(c)] for c in keep if c in frame.columns]
    fitted = display.fit_width(shown, keep=wanted)
    caption_html = html.escape(caption, quote=False) if caption else ""
    if len(fitted) < shown.shape[1]:
        caption_html += _left_out_note(frame, caption, shown.shape[1] - len(fitted))
        shown = shown[fitted]
    styler = shown.style.format(escape="html").hide(axis="index")
    styler = styler.format_index(escape="html", axis="columns")
    # numbers right-aligned (digits line up), words left-aligned, headers above their cells
    align = {
        c: "left" if kind_by_label[c] in {"text", "yes_no"} else "right" for c in shown.columns
    }
    styler = styler.set_table_styles(
        {c: [{"selector": "td, th", "props": f"text-align: {a}"}] for c, a in align.items()},
        overwrite=False,
    )
    if caption_html:
        styler = styler.set_caption(caption_html)
    return styler


def _asked_kinds(frame: pd.DataFrame, hints: Mapping[str, str]) -> dict[str, str]:
    """The kinds asked for, except where the name says more (a duration, a p-value)."""
    precise = {"seconds", "minutes", "hours", "days", "p_value", "points", "money"}
    return {
        col: kind
        for col, kind in hints.items()
        if col in frame.columns and display.kind_of(col, frame[col]) not in precise
    }


def _left_out_note(frame: pd.DataFrame, caption: str | None, dropped: int) -> str:
    """The caption's note on the columns left out, linking the full table's CSV if written."""
    path = _write_csv(frame, caption)
    more = f"{dropped} more column{'s' if dropped > 1 else ''}"
    if path is None:
        return html.escape(f" ({more} in the notebook)")
    href = html.escape(quote(path.name), quote=True)
    return f' ({more} in <a href="{href}">{html.escape(path.name)}</a>)'


def _write_csv(frame: pd.DataFrame, caption: str | None) -> Path | None:
    """The full table as CSV in the page's folder, or None without a folder."""
    settings = display.settings()
    if settings.csv_dir is None:
        return None
    slug = re.sub(r"[^a-z0-9]+", "_", (caption or "table").lower()).strip("_")[:60]
    path = settings.csv_dir / f"{settings.page}_{slug or 'table'}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_csv(frame, path)


def _fmt(value: float, unit: str) -> str:
    kind = {"share": "share", "currency": "money"}.get(unit, "count")
    return display.format_value(value, kind)


def _fmt_change(value: float, unit: str) -> str:
    if pd.isna(value):
        return display.MISSING
    if unit == "share":
        return display.points(value)
    if unit == "currency":
        return ("+" if value >= 0 else "") + display.money(value)
    return f"{value:+,.0f}"


def _kpi_label(kpi: str) -> str:
    """The glossary's name of a KPI, else the name with a capital."""
    try:
        return glossary.label(kpi)
    except KeyError:
        return kpi[:1].upper() + kpi[1:]


def kpi_table(kpis: pd.DataFrame, *, caption: str | None = None) -> Styler:
    """KPIs (``kpi``, ``this_week``, ``previous_week``, ``change``, ``unit``) formatted by unit.

    Shares show as percents and their change in percentage points.
    """
    shown = pd.DataFrame(
        {
            "Metric": [_kpi_label(k) for k in kpis.kpi],
            "This week": [_fmt(v, u) for v, u in zip(kpis.this_week, kpis.unit, strict=True)],
            "Previous week": [
                _fmt(v, u) for v, u in zip(kpis.previous_week, kpis.unit, strict=True)
            ],
            "Change": [_fmt_change(v, u) for v, u in zip(kpis.change, kpis.unit, strict=True)],
        }
    )
    return styled(shown, caption=caption)
