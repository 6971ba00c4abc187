"""The index page's headline KPIs: the latest week against the week before, and the trend.

Private to :mod:`journeylib.report.html`. Everything is static: a table and one PNG
embedded as a data URI (drawn with matplotlib's Agg canvas, no pyplot), with alt text.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Mapping

import pandas as pd

from ..show import display, glossary
from .kpis import KPIS, kpi_history

__all__ = ["kpi_section", "kpi_table", "trend_png"]

_Y_LABEL = {
    "sessions": "sessions (count)",
    "bounce rate": "sessions with at most one event (%)",
    "conversion rate": "sessions with an order (%)",
    "cart abandonment": "carts not bought (%)",
    "average order value": "per order (currency)",
    "repeat rate": "buyers with 2+ orders (%)",
    "mean CLV": "12-month value per buyer (currency)",
}


def _fmt(value: float, unit: str, currency: str) -> str:
    kind = {"share": "share", "currency": "money"}.get(unit, "count")
    return display.format_value(value, kind, currency=currency)


def _fmt_change(value: float, previous: float, unit: str, currency: str) -> str:
    change = value - previous
    if math.isnan(change):
        return display.MISSING
    if unit == "share":
        return display.points(change)
    relative = f" ({change / previous:+.1%})" if previous else ""
    text = ("+" if change >= 0 else "") + (
        display.money(change, currency=currency) if unit == "currency" else f"{change:,.0f}"
    )
    return text + relative


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def kpi_table(week: str, kpis: Mapping[str, Mapping], *, currency: str | None = None) -> str:
    """HTML table of one week's KPIs: this week, the week before, the change (money with
    ``currency``, the symbol of the run's mapping; None: plain amounts)."""
    currency = currency or ""
    rows = []
    for kpi, unit in KPIS.items():
        entry = kpis.get(kpi) or {}
        value, previous = _number(entry.get("value")), _number(entry.get("previous"))
        cells = (
            _fmt(value, unit, currency),
            _fmt(previous, unit, currency),
            _fmt_change(value, previous, unit, currency),
        )
        rows.append(
            f"<tr><td>{html.escape(glossary.label(kpi))}</td>"
            + "".join(f'<td class="num">{html.escape(c)}</td>' for c in cells)
            + "</tr>"
        )
    return (
        f"<table><caption>Headline numbers, {html.escape(week)} against the week before"
        "</caption><tr><th>Metric</th><th>This week</th><th>Week before</th><th>Change</th></tr>"
        f"{''.join(rows)}</table>"
    )


def trend_png(history: pd.DataFrame, *, currency: str | None = None) -> bytes:
    """Small multiples, one panel per KPI: its value per report week (PNG bytes); money
    axes say ``currency`` (the run's symbol) when given."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    columns = math.ceil(len(KPIS) / 2)  # two rows: 7 KPIs fill 4 + 3 panels
    fig = Figure(figsize=(3.2 * columns, 5.2), layout="constrained", dpi=90)
    axes = fig.subplots(2, columns).ravel()
    for ax in axes[len(KPIS) :]:
        ax.set_axis_off()
    weeks = sorted(history.week.unique())
    for ax, (kpi, unit) in zip(axes, KPIS.items(), strict=False):
        one = history[history.kpi == kpi].set_index("week").reindex(weeks)
        ax.plot(range(len(weeks)), one.value.to_numpy(dtype=float), marker="o", color="#1f6feb")
        ax.set_xticks(range(len(weeks)), [w.replace("-", "\n") for w in weeks], fontsize=7)
        ax.set_title(glossary.label(kpi), fontsize=10)
        ax.set_xlabel("ISO week", fontsize=8)
        label = _Y_LABEL[kpi]
        if currency and currency.strip():
            label = label.replace("(currency)", f"({currency.strip()})")
        ax.set_ylabel(label, fontsize=8)
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
    names = ", ".join(glossary.label(k) for k in KPIS)
    return (
        f"Chart: headline KPIs per report week, {span}; one panel each for {names}. "
        "Horizontal axis: ISO week; vertical axis: the KPI in its unit (count, % or currency)."
    )


def kpi_section(statuses: Mapping[str, Mapping]) -> str:
    """The index's KPI section from ``{week: status}``: latest week's table and the trend."""
    with_kpis = {w: s for w, s in statuses.items() if s.get("kpis")}
    if not with_kpis:
        return ""
    latest = max(with_kpis)
    currency = with_kpis[latest].get("currency")
    history = kpi_history(with_kpis)
    png = base64.b64encode(trend_png(history, currency=currency)).decode("ascii")
    definitions = "".join(f"<li>{html.escape(glossary.define(k))}</li>" for k in KPIS)
    alt = html.escape(_alt(history), quote=True)
    return (
        "<section><h2>Headline KPIs</h2>"
        f"{kpi_table(latest, with_kpis[latest]['kpis'], currency=currency)}"
        f'<p><img class="trend" alt="{alt}" src="data:image/png;base64,{png}"></p>'
        f"<ul class=note>{definitions}</ul></section>"
    )
