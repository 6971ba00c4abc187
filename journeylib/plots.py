"""Plots: seaborn drawings of tidy results.

Each function takes a tidy frame from an analysis, draws on the ``ax`` it is given (or a new
one) with a title, axis labels with units, and returns the Axes. Static PNGs only: they
survive nbconvert's HTML export.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, PercentFormatter

sns.set_theme(style="whitegrid", context="notebook")


def _axes(ax: Axes | None, size: tuple[float, float] = (9, 4)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _thousands(ax: Axes, axis: str = "y") -> None:
    fmt = FuncFormatter(lambda v, _: f"{v:,.0f}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def label_bars(ax: Axes, labels, *, fontsize: int = 9) -> None:
    """Write ``labels`` (one per bar, in drawing order) at the end of horizontal bars."""
    for patch, text in zip(ax.patches, labels, strict=False):
        y = patch.get_y() + patch.get_height() / 2
        ax.annotate(text, (patch.get_width(), y), va="center", fontsize=fontsize)


def events_per_day(daily: pd.DataFrame, *, ax: Axes | None = None, week=None) -> Axes:
    """Line plot of events and active users per day (from ``overview.events_per_day``)."""
    ax = _axes(ax)
    long = daily.melt(id_vars="day", value_vars=["events", "users"], var_name="measure")
    sns.lineplot(data=long, x="day", y="value", hue="measure", ax=ax, linewidth=1)
    if week is not None:
        ax.axvspan(week[0], week[1], color="orange", alpha=0.15, label="report week")
    ax.set(title="Events and active users per day", xlabel="day (UTC)", ylabel="count per day")
    _thousands(ax)
    ax.legend(title=None)
    return ax


def session_mix(mix: pd.DataFrame, *, attribute: str, ax: Axes | None = None) -> Axes:
    """Bar chart of the share of sessions per channel or device, labelled with conversion."""
    ax = _axes(ax, (6, 3.5))
    data = mix[mix.attribute == attribute] if "attribute" in mix.columns else mix
    sns.barplot(data=data, y="value", x="share", ax=ax, color="steelblue", orient="h")
    label_bars(ax, [f" {conv:.1%} convert" for conv in data.conversion])
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(title=f"Sessions by {attribute}", xlabel="share of sessions (%)", ylabel=attribute)
    ax.set_xlim(0, max(data.share.max() * 1.35, 0.01))
    return ax


def stage_reach(reach: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Horizontal bars: users who reached each of the five stages, with the share of all."""
    ax = _axes(ax, (7, 3.5))
    sns.barplot(data=reach, y="stage", x="reached", ax=ax, color="seagreen", orient="h")
    label_bars(ax, [f" {share:.1%}" for share in reach.share_reached])
    _thousands(ax, "x")
    ax.set(title="Users reaching each journey stage", xlabel="users (count)", ylabel="stage")
    ax.set_xlim(0, max(reach.reached.max() * 1.15, 1))
    return ax


def daily_by(daily: pd.DataFrame, *, by: str, ax: Axes | None = None) -> Axes:
    """Events per day split by ``by`` (from ``overview.events_per_day(events, by=by)``)."""
    ax = _axes(ax)
    sns.lineplot(data=daily, x="day", y="events", hue=by, ax=ax, linewidth=1)
    ax.set(title=f"Events per day by {by}", xlabel="day (UTC)", ylabel="events per day")
    _thousands(ax)
    return ax
