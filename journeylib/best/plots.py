"""Plots for notebook 03: best vs rest with intervals, early patterns, channels, the path list.

Each function takes a tidy frame from :mod:`journeylib.best` / :mod:`journeylib.best.patterns`,
draws on ``ax`` (or a new one) with a title and axis labels with units, returns the Axes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from ..show.figures import axes_for
from ..show.labels import step_label


def profile_shares(profile: pd.DataFrame, *, prefix: str, ax: Axes | None = None) -> Axes:
    """Best vs rest share for the profile rows whose metric starts with ``prefix``.

    Bars show the two shares; the error bar on the best bar is the 95 % interval of the
    difference, drawn around the rest's share (so it crosses the rest level when not
    significant).
    """
    rows = profile[profile.metric.str.startswith(prefix)].copy()
    rows["value"] = rows.metric.str.removeprefix(prefix).str.lstrip(": ")
    ax = axes_for(ax, (8, 0.45 * len(rows) + 1.5))
    y = np.arange(len(rows))
    ax.barh(y - 0.2, rows.best, height=0.4, label="best", color="darkorange")
    ax.barh(y + 0.2, rows.rest, height=0.4, label="rest", color="steelblue")
    low = (rows.rest + rows.ci_low).clip(lower=0)
    high = rows.rest + rows.ci_high
    ax.errorbar((low + high) / 2, y - 0.2, xerr=(high - low) / 2, fmt="none", ecolor="black",
                capsize=3, label="95% CI, best")  # fmt: skip
    ax.set_yticks(y, rows.value)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(title=f"{prefix}: best customers vs the rest", xlabel="share of customers (%)",
           ylabel=prefix)  # fmt: skip
    ax.legend(loc="lower right")
    return ax


def profile_numbers(profile: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Ratio best / rest for the numeric rows (counts, days, currency), with p-value marks."""
    rows = profile[profile.unit != "share"].dropna(subset=["ratio"])
    ax = axes_for(ax, (8, 0.4 * len(rows) + 1.5))
    colors = np.where(rows.p_value < 0.05, "darkorange", "lightgray")
    ax.barh(rows.metric, rows.ratio, color=colors)
    ax.axvline(1, color="black", linewidth=1)
    ax.invert_yaxis()
    ax.set(title="Best vs rest: ratio of averages (orange: p < 0.05)",
           xlabel="best / rest (ratio; 1 = no difference)", ylabel="metric")  # fmt: skip
    return ax


def patterns_lift(patterns: pd.DataFrame, *, n: int = 12, ax: Axes | None = None) -> Axes:
    """The top ``n`` early patterns (in words: ``page: reviews`` as ``reviews page``):
    P(best | pattern) with its Wilson interval, labelled with support and lift; the dashed
    line is P(best) among the population."""
    rows = patterns.head(n)
    ax = axes_for(ax, (9, 0.45 * len(rows) + 1.5))
    y = np.arange(len(rows))
    colors = np.where(rows.productive, "darkorange", "lightgray")
    ax.barh(y, rows.p_best, color=colors)
    err = [rows.p_best - rows.ci_low, rows.ci_high - rows.p_best]
    ax.errorbar(rows.p_best, y, xerr=err, fmt="none", ecolor="black", capsize=3)
    for yi, r in zip(y, rows.itertuples(), strict=True):
        ax.annotate(f"  lift {r.lift:.1f}, {r.support:.0%} of customers", (r.ci_high, yi),
                    va="center", fontsize=8)  # fmt: skip
    if len(rows):
        r0 = rows.iloc[0]
        base = r0.p_best * r0.support + r0.p_best_without * (1 - r0.support)  # P(best)
        ax.axvline(base, color="black", linestyle="--", linewidth=1)
    ax.set_yticks(y, [step_label(p) for p in rows.pattern])  # "reviews page + size guide page"
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlim(0, max(float(rows.ci_high.max()) * 1.5, 0.05) if len(rows) else 1)
    ax.set(title="Early patterns: share who became best (orange: productive)",
           xlabel="P(best | pattern) with 95% Wilson interval (%)", ylabel="pattern")  # fmt: skip
    return ax


def channel_repeat(channels: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Repeat rate per first channel with its Wilson interval (``channel_quality``)."""
    ax = axes_for(ax, (7, 3.5))
    y = np.arange(len(channels))
    ax.barh(y, channels.repeat_rate, color="seagreen")
    err = [channels.repeat_rate - channels.ci_low, channels.ci_high - channels.repeat_rate]
    ax.errorbar(channels.repeat_rate, y, xerr=err, fmt="none", ecolor="black", capsize=3)
    ax.set_yticks(y, [f"{c} (n={n:,})" for c, n in zip(channels.channel, channels.customers,
                                                          strict=True)])  # fmt: skip
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(title="Repeat rate by first channel", xlabel="customers with 2+ orders (%)",
           ylabel="first channel")  # fmt: skip
    return ax


def on_path_sizes(sizes: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Users on the path per segment and pattern (``segment``, ``pattern``, ``users``)."""
    import seaborn as sns

    ax = axes_for(ax, (8, 3.5))
    shown = sizes.assign(pattern=sizes.pattern.map(step_label))  # the patterns in words
    sns.barplot(data=shown, y="segment", x="users", hue="pattern", ax=ax, orient="h")
    ax.set(title="Users on the best customers' path now", xlabel="users (count)",
           ylabel="segment")  # fmt: skip
    ax.legend(title="pattern matched", fontsize=8)
    return ax
