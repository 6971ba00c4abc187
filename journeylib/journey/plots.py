"""Plots of the journey map: stages, transitions, step matrix, first-touch outcomes, attribution.

Same pattern as :mod:`journeylib.overview.plots`: a tidy result in, drawn on the ``ax`` given (or a
new one) with a title and axis labels with units, the Axes returned. Static matplotlib images
only, so they survive nbconvert's HTML export.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from ..engine.sequences import END, ENDED, ENDED_APART, START
from ..engine.stages import STAGES
from ..show.figures import axes_for, label_bars, thousands_ticks
from ..show.page_settings import money_unit


def _stage_label(row) -> str:
    text = f" {row.share_reached:.1%} of users"
    if pd.notna(row.conversion_to_next):
        text += f"; {row.conversion_to_next:.1%} go on, median {row.median_days_to_next:.1f} d"
    return text


def stage_journey(view: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Bars of users reaching each stage (from ``journey.stage_view``), labelled with the
    conversion onward and the median days to the next stage."""
    ax = axes_for(ax, (8, 3.8))
    data = view[view.cohort == view.cohort.iloc[0]] if "cohort" in view.columns else view
    sns.barplot(data=data, y="stage", x="reached", ax=ax, color="seagreen", orient="h")
    label_bars(ax, [_stage_label(row) for row in data.itertuples()], fontsize=8)
    thousands_ticks(ax, "x")
    ax.set_xlim(0, max(data.reached.max() * 1.9, 1))
    ax.set(
        title="Journey map: users reaching each stage",
        xlabel="users (count)",
        ylabel="stage",
    )
    return ax


def _order(states: pd.Index) -> list[str]:
    rank = {s: i for i, s in enumerate((START, *STAGES, END, ENDED, ENDED_APART))}
    return sorted(states, key=lambda s: (rank.get(s, len(STAGES) + 1), s == END, s))


def transition_heatmap(
    transitions: pd.DataFrame, *, min_share: float = 0.05, ax: Axes | None = None
) -> Axes:
    """Heatmap of transition probabilities (from ``journey.transitions``); edges below
    ``min_share`` of their row are left blank, and so are states with no edge left."""
    kept = transitions[transitions.probability >= min_share]
    grid = kept.pivot_table(index="from", columns="to", values="probability", aggfunc="sum")
    grid = grid.reindex(index=_order(grid.index), columns=_order(grid.columns))
    size = (max(6, 0.55 * grid.shape[1] + 3), max(3.5, 0.4 * grid.shape[0] + 1.5))
    ax = axes_for(ax, size)
    sns.heatmap(
        grid,
        ax=ax,
        cmap="Blues",
        vmin=0,
        vmax=1,
        annot=grid.shape[1] <= 16,
        fmt=".0%",
        annot_kws={"fontsize": 7},
        cbar_kws={"label": "probability"},
    )
    ax.set(
        title=f"Transition probabilities (edges with at least {min_share:.0%} of their row)",
        xlabel="next step",
        ylabel="step",
    )
    return ax


def step_matrix(matrix: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Heatmap of the share of users in each state at each step (from ``journey.step_matrix``)."""
    grid = matrix.pivot_table(index="state", columns="step", values="share", fill_value=0.0)
    grid = grid.reindex(index=_order(grid.index))
    ax = axes_for(ax, (max(6, 0.6 * grid.shape[1] + 3), max(3, 0.35 * grid.shape[0] + 1.5)))
    sns.heatmap(
        grid,
        ax=ax,
        cmap="Greens",
        vmin=0,
        vmax=1,
        annot=grid.shape[0] <= 20,
        fmt=".0%",
        annot_kws={"fontsize": 7},
        cbar_kws={"label": "share of users"},
    )
    ax.set(
        title="Step matrix: where users are at each step of their journey",
        xlabel="step number",
        ylabel="state",
    )
    return ax


def outcome_intervals(
    outcomes: pd.DataFrame,
    *,
    by: str,
    metric: str = "conversion",
    ax: Axes | None = None,
) -> Axes:
    """Point estimates with 95 % intervals of one outcome per first-touch value (from
    ``acquisition.first_touch``); the dashed line is the value over all users or buyers."""
    ax = axes_for(ax, (6, 0.45 * len(outcomes) + 1.5))
    low, high = (
        ("days_low", "days_high")
        if metric == "days_to_first_purchase"
        else (f"{metric}_low", f"{metric}_high")
    )
    data = outcomes.sort_values(metric)
    y = np.arange(len(data))
    err = np.clip(np.vstack([data[metric] - data[low], data[high] - data[metric]]), 0, None)
    ax.errorbar(data[metric], y, xerr=err, fmt="o", color="steelblue", capsize=3)
    ax.set_yticks(y, data[by])
    overall = {
        "conversion": data.buyers.sum() / data.users.sum(),
        "repeat_rate": data.repeat_buyers.sum() / max(data.buyers.sum(), 1),
        "revenue_per_user": (data.revenue_per_user * data.users).sum() / data.users.sum(),
    }.get(metric)
    if overall is not None:
        ax.axvline(overall, ls="--", color="grey", lw=1)
    units = {
        "conversion": ("share of users who buy (%)", True),
        "repeat_rate": ("share of buyers who buy again (%)", True),
        "revenue_per_user": (f"net revenue per user ({money_unit()})", False),
        "days_to_first_purchase": ("median days to first purchase (days)", False),
    }
    label, percent = units.get(metric, (metric, False))
    if percent:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(
        title=f"{metric.replace('_', ' ')} by first {by} (95 % intervals)",
        xlabel=label,
        ylabel=f"first {by}",
    )
    return ax


def attribution(credit: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Grouped bars: purchases credited to each channel by each model (from
    ``attribution.channel_attribution``)."""
    ax = axes_for(ax, (9, 4))
    order = credit[credit.model == "last_touch"].sort_values("purchases", ascending=False)
    sns.barplot(
        data=credit,
        x="channel",
        y="purchases",
        hue="model",
        ax=ax,
        order=list(order.channel),
    )
    ax.set(
        title="Purchases credited to channels by four attribution models",
        xlabel="channel",
        ylabel="purchases credited (count)",
    )
    ax.legend(title="model", fontsize=8)
    return ax


_PERIOD_WEEKS = {"4w": 4, "13w": 13, "26w": 26, "52w": 52}


def acquisition_window(run, period: str) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """``period`` (``"all"`` or ``"4w"``, ``"13w"``, ``"26w"``, ``"52w"``) -> the [start, end)
    of first events to keep, ending with the report week of ``run`` (a ``ReportInput``)."""
    if period in ("", "all"):
        return None, None
    if period not in _PERIOD_WEEKS:
        raise ValueError(f"period must be 'all' or one of {list(_PERIOD_WEEKS)}, got {period!r}")
    return run.end - pd.Timedelta(weeks=_PERIOD_WEEKS[period]), run.end


def explore_journey(run):
    """A widget: the transition heatmap and first-touch outcomes for a level, a segment and a
    period the analyst picks (None in a report run)."""
    import matplotlib.pyplot as plt

    from ..show.widgets import explore
    from . import acquisition
    from . import journey_map as journey

    segments = [""] + [f"device:{d}" for d in ("desktop", "mobile", "tablet")]
    segments += [f"channel:{c}" for c in ("organic_search", "paid_search", "paid_social")]
    segments += ["channel:email", "channel:referral", "channel:direct"]

    def draw(level: str = "stage", segment: str = "", period: str = "all"):
        start, end = acquisition_window(run, period)
        log = acquisition.select_users(run.events, segment=segment, start=start, end=end)
        fig, axes = plt.subplots(1, 2, figsize=(14, 4.5), layout="constrained")
        transition_heatmap(journey.transitions(log, level=level, within="user"), ax=axes[0])
        outcome_intervals(
            acquisition.first_touch(log, by="channel"),
            by="channel",
            metric="repeat_rate",
            ax=axes[1],
        )
        return fig

    return explore(
        draw,
        level=["stage", "channel", "event", "page_type"],
        segment=segments,
        period=["all", *_PERIOD_WEEKS],
    )


__all__ = [
    "acquisition_window",
    "explore_journey",
    "attribution",
    "outcome_intervals",
    "stage_journey",
    "step_matrix",
    "transition_heatmap",
]
