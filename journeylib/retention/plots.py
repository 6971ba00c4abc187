"""Charts of notebook 05: cohort heatmaps, retention curves, lifecycle bars, time to reorder.

Each function takes a tidy result of :mod:`journeylib.retention`, :mod:`journeylib.lifecycle`
or :mod:`journeylib.retention.order_gaps`, draws one point per chart with a title, axis labels and
units, and returns the Axes.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, PercentFormatter

from .order_gaps import ALL, OrderGaps

__all__ = ["cohort_heatmap", "lifecycle_bars", "retention_curves", "time_to_reorder"]

_FMT = {"month": "%Y-%m", "week": "%Y-%m-%d", "day": "%Y-%m-%d"}
_COLOURS = {"new": "#4c9f70", "returning": "#2b6cb0", "resurrecting": "#9f7aea"}
_LABEL = {"first_channel": "first channel", "first_device": "first device"}


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def cohort_heatmap(
    table: pd.DataFrame,
    *,
    unit: str = "month",
    value: str = "rate",
    max_periods: int = 13,
    ax: Axes | None = None,
) -> Axes:
    """Cohorts (rows) by period number (columns): the share retained, or revenue per member.

    ``table`` is :func:`journeylib.retention` (no split); periods that have not ended are
    left blank. ``value``: ``"rate"`` or ``"revenue_per_user"``.
    """
    done = table[table.complete & (table.period < max_periods)]
    grid = done.pivot(index="cohort", columns="period", values=value)
    grid.index = [f"{c:{_FMT[unit]}} ({n:,})" for c, n in _sizes(table, grid.index)]
    rows = max(len(grid), 1)
    ax = _axes(ax, (10, min(2 + 0.35 * rows, 12)))
    money = value == "revenue_per_user"
    shown = grid if money else grid.drop(columns=0, errors="ignore")  # 0: always 100 %
    annot = len(grid.columns) <= 14 and rows <= 30
    if shown.empty or shown.isna().all().all():  # a log shorter than one cohort period
        ax.text(0.5, 0.5, f"No cohort has a complete later {unit} yet", ha="center")
        ax.set_axis_off()
        return ax
    sns.heatmap(
        shown,
        ax=ax,
        cmap="Blues" if not money else "Greens",
        annot=annot,
        fmt=",.0f" if money else ".0%",
        annot_kws={"fontsize": 7},
        cbar_kws={"format": FuncFormatter(_money if money else _pct)},
        linewidths=0.5,
    )
    title = (
        "Net revenue per cohort member, cumulative"
        if money
        else "Share of each cohort back in each later period"
    )
    ax.set(
        title=f"{title} ({unit}ly cohorts)",
        xlabel=f"{unit}s after the cohort's {unit} (0 = the {unit} itself)",
        ylabel=f"cohort: first {unit} (members)",
    )
    return ax


def _sizes(table: pd.DataFrame, cohorts) -> list[tuple[pd.Timestamp, int]]:
    size = table[table.period == 0].set_index("cohort").cohort_size
    return [(c, int(size.get(c, 0))) for c in cohorts]


def _pct(v: float, _=None) -> str:
    return f"{v:.0%}"


def _money(v: float, _=None) -> str:
    return f"{v:,.0f}"


def retention_curves(
    curve: pd.DataFrame,
    *,
    by: str | None = None,
    unit: str = "month",
    min_customers: int = 10,
    ax: Axes | None = None,
) -> Axes:
    """Share of customers still buying k periods after the first order's, one line per ``by``
    value with its 95 % band; from period 1, where at least ``min_customers`` remain."""
    data = curve[(curve.period >= 1) & (curve.customers >= min_customers)]
    ax = _axes(ax, (9, 4.5))
    groups = data.groupby(by) if by else [("all customers", data)]
    for name, g in groups:
        line = ax.plot(g.period, g.rate, marker="o", markersize=3, label=str(name))[0]
        ax.fill_between(g.period, g.rate_low, g.rate_high, color=line.get_color(), alpha=0.12)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, min(1.0, max(float(data.rate_high.max()) * 1.1, 0.05)) if len(data) else 1)
    split = f" by {_LABEL.get(by, by)}" if by else ""
    ax.set(
        title=f"Customers still buying k {unit}s after their first order{split}",
        xlabel=f"{unit}s after the first order's {unit}",
        ylabel="share still buying (%)",
    )
    if len(data):
        ax.legend(title=_LABEL.get(by, by) if by else None, fontsize=8)
    return ax


def lifecycle_bars(lifecycle: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Stacked bars per week: new, returning and resurrecting customers above zero, dormant
    (lapsed) below."""
    wide = lifecycle.pivot(index="period", columns="status", values="users").fillna(0)
    ax = _axes(ax, (10, 4.5))
    x = np.arange(len(wide))
    bottom = np.zeros(len(wide))
    for status, colour in _COLOURS.items():
        ax.bar(x, wide[status], bottom=bottom, color=colour, label=status, width=0.8)
        bottom += wide[status].to_numpy()
    ax.bar(x, -wide["dormant"], color="#c05621", label="lapsed (dormant)", width=0.8)
    ax.axhline(0, color="black", linewidth=0.8)
    step = max(1, len(wide) // 9)
    ax.set_xticks(x[::step], [f"{p:%Y-%m-%d}" for p in wide.index[::step]], fontsize=8)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{abs(v):,.0f}"))
    ax.set(
        title="Buying customers per week: who is new, back or lapsed",
        xlabel="week starting (Monday, UTC)",
        ylabel="customers (lapsed below zero)",
    )
    ax.legend(fontsize=8, ncols=4, loc="upper left")
    return ax


def time_to_reorder(gaps: OrderGaps, *, max_days: int = 365, ax: Axes | None = None) -> Axes:
    """Kaplan-Meier share of first-time buyers who have ordered again, by day since the first
    order; all buyers in black, each first channel in colour."""
    ax = _axes(ax, (9, 4.5))
    curve = gaps.curve[gaps.curve.days <= max_days]
    for name, g in curve.groupby("by", sort=False):
        days = np.concatenate([[0], g.days.to_numpy(), [max_days]])
        share = np.concatenate([[0], g.share.to_numpy(), [g.share.to_numpy()[-1]]])
        style = {"color": "black", "linewidth": 2.2} if name == ALL else {"linewidth": 1.2}
        ax.step(days, share, where="post", label=str(name), **style)
    for d in (30, 60, 90, 180):
        ax.axvline(d, color="grey", linewidth=0.5, linestyle=":")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, None)
    ax.set(
        title="How soon first-time buyers order again (Kaplan-Meier)",
        xlabel="days since the first order",
        ylabel="share who ordered again (%)",
    )
    if len(curve):
        ax.legend(title="first channel" if gaps.by else None, fontsize=8)
    return ax
