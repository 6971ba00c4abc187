"""Plots for customer lifetime value, drawn with seaborn (lifetimes' own plots fail today).

Each function takes a tidy frame from :mod:`~journeylib.clv.validation` or
:mod:`~journeylib.clv.value`, draws on the ``ax`` it is given (or a new one) with a title and
axis labels with units, and returns the Axes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, NullFormatter, PercentFormatter

from ..show.display import whole_money
from ..show.figures import axes_for
from ..show.page_settings import money_unit


def tracking(track: pd.DataFrame, *, model_name: str = "model", ax: Axes | None = None) -> Axes:
    """Cumulative repeat purchases, actual vs model, with the calibration end marked."""
    ax = axes_for(ax)
    data = track.replace({"source": {"model": model_name}})
    sns.lineplot(data=data, x="t", y="cumulative_repeat_purchases", hue="source", ax=ax)
    ax.axvline(0, color="grey", linestyle="--", linewidth=1)
    ax.annotate(" holdout →", (0, ax.get_ylim()[1] * 0.95), fontsize=9, color="grey")
    ax.set(
        title=f"Cumulative repeat purchases: actual vs {model_name}",
        xlabel="weeks since the calibration end",
        ylabel="repeat purchases (count)",
    )
    ax.legend(title=None)
    return ax


def calibration(cal: pd.DataFrame, *, model_name: str = "model", ax: Axes | None = None) -> Axes:
    """Mean holdout purchases by calibration frequency, actual vs model."""
    ax = axes_for(ax, (7, 4))
    data = cal.replace({"source": {"model": model_name}})
    sns.pointplot(
        data=data,
        x="frequency",
        y="mean_holdout_purchases",
        hue="source",
        ax=ax,
        markersize=5,
    )
    ax.set(
        title=f"Holdout purchases by calibration purchases: actual vs {model_name}",
        xlabel="repeat purchases in the calibration period (count)",
        ylabel="mean holdout purchases per customer",
    )
    ax.legend(title=None)
    return ax


def clv_distribution(clv: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Histogram of CLV per customer (log scale), the top decile's threshold marked."""
    ax = axes_for(ax)
    values = clv["clv"].clip(lower=1e-2)
    sns.histplot(x=values, log_scale=True, bins=40, ax=ax, color="steelblue")
    top = float(np.quantile(values, 0.9))
    ax.axvline(top, color="darkorange", linestyle="--", label=f"top 10 % from {whole_money(top)}")
    ax.set(
        title="Customer lifetime value per buyer",
        xlabel=f"CLV over the horizon ({money_unit()}, log scale)",
        ylabel="buyers (count)",
    )
    plain_money_axis(ax.xaxis)
    ax.legend()
    return ax


def plain_money_axis(axis: object) -> None:
    """Tick labels as plain amounts (``1``, ``10``, ``100``, ``1,000``), not powers of ten."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def clv_by_segment(table: pd.DataFrame, *, by: str, ax: Axes | None = None) -> Axes:
    """Mean CLV per segment as bars; ``lower``/``upper`` columns, when present, as error bars.

    ``table`` is one of ``ClvReport.by_segment`` (``segment``, ``mean_clv``, ``lower``,
    ``upper``).
    """
    data = table.reset_index(drop=True)
    if by == "cohort":  # cohorts read in time order, oldest first
        data = data.sort_values("segment", key=lambda s: s.astype(str), ignore_index=True)
    ax = axes_for(ax, (7, max(2.5, 0.4 * len(data) + 1)))
    sns.barplot(data=data, y="segment", x="mean_clv", ax=ax, color="seagreen", orient="h")
    if {"lower", "upper"} <= set(data.columns):
        mean = data["mean_clv"].to_numpy()
        err = np.vstack([mean - data["lower"].to_numpy(), data["upper"].to_numpy() - mean])
        ax.errorbar(
            mean,
            np.arange(len(data)),
            xerr=np.clip(err, 0, None),
            fmt="none",
            color="k",
        )
    ax.set(
        title=f"Mean CLV by {by.replace('_', ' ')} (95 % intervals)",
        xlabel=f"mean CLV per buyer ({money_unit()})",
        ylabel=by.replace("_", " "),
    )
    return ax


def p_alive_heatmap(grid: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """P(alive) by frequency and recency (from ``clv_value.p_alive_grid``)."""
    ax = axes_for(ax, (10, 4))
    wide = grid.pivot(index="frequency", columns="recency", values="p_alive").sort_index(
        ascending=False
    )
    sns.heatmap(wide, ax=ax, cmap="viridis", vmin=0, vmax=1, cbar_kws={"label": "P(alive)"})
    ax.grid(False)  # no grid lines through the cells
    ax.set(
        title="Probability a customer is still active, by purchase history",
        xlabel="recency: weeks from first to last purchase",
        ylabel="repeat purchases (count)",
    )
    return ax


def parameter_intervals(intervals: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Estimates with their 95 % intervals, relative to the estimate (1 = the estimate)."""
    data = intervals.assign(
        label=intervals["model"] + " " + intervals["parameter"],
        lo=intervals["lower"] / intervals["estimate"],
        hi=intervals["upper"] / intervals["estimate"],
    )
    ax = axes_for(ax, (7, 0.35 * len(data) + 1))
    y = np.arange(len(data))
    ax.hlines(y, data["lo"], data["hi"], color="steelblue", linewidth=3)
    ax.plot(np.ones(len(data)), y, "k|", markersize=12)
    ax.set_yticks(y, data["label"])
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(
        title="Parameter estimates: 95 % intervals",
        xlabel="interval relative to the estimate (%)",
        ylabel="parameter",
    )
    return ax
