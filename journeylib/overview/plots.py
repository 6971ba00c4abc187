"""Plots: seaborn drawings of tidy results.

Each function takes a tidy frame from an analysis, draws on the ``ax`` it is given (or a new
one) with a title, axis labels with units, and returns the Axes. Static PNGs only: they
survive nbconvert's HTML export.
"""

from __future__ import annotations

import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from ..engine.eventlog import EventLog
from ..engine.read.events import as_eventlog
from ..show.figures import axes_for, label_bars, thousands_ticks
from .summary import events_per_day as daily_counts


def events_per_day(daily: pd.DataFrame, *, ax: Axes | None = None, week=None) -> Axes:
    """Line plot of events and active users per day (from ``overview.events_per_day``)."""
    ax = axes_for(ax)
    long = daily.melt(id_vars="day", value_vars=["events", "users"], var_name="measure")
    sns.lineplot(data=long, x="day", y="value", hue="measure", ax=ax, linewidth=1)
    if week is not None:
        ax.axvspan(week[0], week[1], color="orange", alpha=0.15, label="report week")
    ax.set(title="Events and active users per day", xlabel="day (UTC)", ylabel="count per day")
    thousands_ticks(ax)
    ax.legend(title=None)
    return ax


def session_mix(mix: pd.DataFrame, *, attribute: str, ax: Axes | None = None) -> Axes:
    """Bar chart of the share of sessions per channel or device, labelled with conversion."""
    ax = axes_for(ax, (6, 3.5))
    data = mix[mix.attribute == attribute] if "attribute" in mix.columns else mix
    sns.barplot(data=data, y="value", x="share", ax=ax, color="steelblue", orient="h")
    label_bars(ax, [f" {conv:.1%} convert" for conv in data.conversion])
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(title=f"Sessions by {attribute}", xlabel="share of sessions (%)", ylabel=attribute)
    ax.set_xlim(0, max(data.share.max() * 1.35, 0.01))
    return ax


def stage_reach(reach: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Horizontal bars: users who reached each of the five stages, with the share of all."""
    ax = axes_for(ax, (7, 3.5))
    sns.barplot(data=reach, y="stage", x="reached", ax=ax, color="seagreen", orient="h")
    label_bars(ax, [f" {share:.1%}" for share in reach.share_reached])
    thousands_ticks(ax, "x")
    ax.set(title="Users reaching each journey stage", xlabel="users (count)", ylabel="stage")
    ax.set_xlim(0, max(reach.reached.max() * 1.15, 1))
    return ax


def daily_by(daily: pd.DataFrame, *, by: str, ax: Axes | None = None) -> Axes:
    """Events per day split by ``by`` (from ``overview.events_per_day(events, by=by)``)."""
    ax = axes_for(ax)
    sns.lineplot(data=daily, x="day", y="events", hue=by, ax=ax, linewidth=1)
    ax.set(title=f"Events per day by {by}", xlabel="day (UTC)", ylabel="events per day")
    thousands_ticks(ax)
    return ax


def explore_daily(events: EventLog | pd.DataFrame):
    """A widget: events per day, split by a column the analyst picks (None in a report run)."""
    from ..show.widgets import explore

    log = as_eventlog(events)
    options = ["(all)"] + [c for c in ("channel", "device", "variant", "stage") if log.has(c)]

    def draw(by: str = "(all)"):
        if by == "(all)":
            return events_per_day(daily_counts(log))
        return daily_by(daily_counts(log, by=by), by=by)

    return explore(draw, by=options)
