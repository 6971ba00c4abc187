"""The index page's headline KPIs: the latest week against the week before, and the trend.

Private to :mod:`journeylib._report_html`. Everything is static: a table and one PNG
embedded as a data URI (drawn with matplotlib's Agg canvas, no pyplot), with alt text.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Mapping

import pandas as pd

from .report_kpis import KPIS, kpi_history

__all__ = ["kpi_section", "kpi_table", "trend_png"]

_Y_LABEL = {
    "sessions": "sessions (count)",
    "conversion rate": "sessions with an order (%)",
    "cart abandonment": "carts not bought (%)",
    "average order value": "per order (currency)",
    "bounce rate": "sessions of one event (%)",
    "repeat rate": "buyers with 2+ orders (%)",
    "mean CLV": "12-month value per buyer (currency)",
}


def _fmt(value: float, unit: str) -> str:
    if value is None or math.isnan(value):
        return "–"
    if unit == "share":
        return f"{value:.2%}"
    return f"{value:,.2f}" if unit == "currency" else f"{value:,.0f}"


def _fmt_change(value: float, previous: float, unit: str) -> str:
    change = value - previous
    if math.isnan(change):
        return "–"
    if unit == "share":
        return f"{100 * change:+.2f} pts"
    relative = f" ({change / previous:+.1%})" if previous else ""
    text = f"{change:+,.2f}" if unit == "currency" else f"{change:+,.0f}"
    return text + relative


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def kpi_table(week: str, kpis: Mapping[str, Mapping]) -> str:
    """HTML table of one week's KPIs: this week, the week before, the change."""
    rows = []
    for kpi, unit in KPIS.items():
        entry = kpis.get(kpi) or {}
        value, previous = _number(entry.get("value")), _number(entry.get("previous"))
        cells = (_fmt(value, unit), _fmt(previous, unit), _fmt_change(value, previous, unit))
        rows.append(
            f"<tr><td>{html.escape(kpi)}</td>"
            + "".join(f'<td class="num">{html.escape(c)}</td>' for c in cells)
            + "</tr>"
        )
    return (
        f"<table><caption>Headline numbers, {html.escape(week)} against the week before"
        "</caption><tr><th>KPI</th><th>this week</th><th>previous week</th><th>change</th></tr>"
        f"{''.join(rows)}</table>"
    )


def trend_png(history: pd.DataFrame) -> bytes:
    """Small multiples, one panel per KPI: its value per report week (PNG bytes)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    fig = Figure(figsize=(10, 5.2), layout="constrained", dpi=90)
    axes = fig.subplots(2, -(-len(KPIS) // 2)).ravel()
    for spare in axes[len(KPIS) :]:
        spare.set_visible(False)
    axes = axes[: len(KPIS)]
    weeks = sorted(history.week.unique())
    for ax, (kpi, unit) in zip(axes, KPIS.items(), strict=True):
        one = history[history.kpi == kpi].set_index("week").reindex(weeks)
        ax.plot(range(len(weeks)), one.value.to_numpy(dtype=float), marker="o", color="#1f6feb")
        ax.set_xticks(range(len(weeks)), [w.replace("-", "\n") for w in weeks], fontsize=7)
        ax.set_title(kpi, fontsize=10)
        ax.set_xlabel("ISO week", fontsize=8)
        ax.set_ylabel(_Y_LABEL[kpi], fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(alpha=0.3)
        if unit == "share":
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
        else:
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    fig.suptitle("Headline KPIs per report week", fontsize=11)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _alt(history: pd.DataFrame) -> str:
    weeks = sorted(history.week.unique())
    span = weeks[0] if len(weeks) == 1 else f"{weeks[0]} to {weeks[-1]}"
    return (
        f"Chart: headline KPIs per report week, {span}; one panel each for "
        f"{', '.join(KPIS)}. Horizontal axis: ISO week; vertical axis: the KPI in its unit "
        "(count, % or currency)."
    )


def kpi_section(statuses: Mapping[str, Mapping]) -> str:
    """The index's KPI section from ``{week: status}``: latest week's table and the trend."""
    with_kpis = {w: s for w, s in statuses.items() if s.get("kpis")}
    if not with_kpis:
        return ""
    latest = max(with_kpis)
    history = kpi_history(with_kpis)
    png = base64.b64encode(trend_png(history)).decode("ascii")
    alt = html.escape(_alt(history), quote=True)
    return (
        f"<section><h2>Headline KPIs</h2>{kpi_table(latest, with_kpis[latest]['kpis'])}"
        f'<p><img class="trend" alt="{alt}" src="data:image/png;base64,{png}"></p>'
        "<p class=note>Sessions, conversion rate, cart abandonment, average order value and "
        "bounce rate count the ISO week (UTC); repeat rate and mean CLV (12 months, BG/NBD and "
        "Gamma-Gamma) are computed on the log up to the end of the week.</p></section>"
    )
